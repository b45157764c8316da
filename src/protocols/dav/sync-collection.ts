// The sync-collection REPORT (RFC 6578): what changed in a collection since a sync token.
//
// A token names the store, its generation and a position in the change log. A token from
// another store, from before a restore (an older generation) or from beyond the log's end
// (a server that forgot) is refused with 403 valid-sync-token, so the client starts a full
// sync instead of trusting a view the server no longer shares. A sync from a token reads
// only the changes after it, so its cost does not grow with the size of the collection.
import type { FastifyReply } from 'fastify';
import type { Change, Collection, StoreIdentity } from '../../store/types.ts';
import { davError } from './dav-errors.ts';
import { hrefs } from './dav-paths.ts';
import type { DavContext, DavResource } from './dav-resources.ts';
import { sendMultistatus, statusResponse } from './multistatus.ts';
import { propertyContext, type PropertyName } from './properties.ts';
import { NS, childElement, type XmlElement } from './xml/xml-element.ts';
import { dav, type XmlOut } from './xml/write-xml.ts';

export type StoreIdentityReader = () => Promise<StoreIdentity>;

const TOKEN_PREFIX = 'urn:holdfast:sync/';
/** Changes read per step while filling a limited response. */
const PAGE = 500;

export function syncToken(identity: Pick<StoreIdentity, 'storeId' | 'generation'>, seq: number): string {
  return `${TOKEN_PREFIX}${encodeURIComponent(identity.storeId)}/${identity.generation}/${seq}`;
}

/** The sequence a client's token stands for, or a 403 valid-sync-token saying why not. */
export function tokenSequence(token: string, identity: StoreIdentity): number {
  const invalid = (why: string) => davError('valid-sync-token', `The sync token ${why}; start again with an empty sync-token (a full sync).`);
  if (!token.startsWith(TOKEN_PREFIX)) throw invalid('was not issued by this server');
  const [storeId, generation, seq] = token.slice(TOKEN_PREFIX.length).split('/');
  if (seq === undefined || !/^\d+$/.test(seq) || !/^\d+$/.test(generation ?? '')) throw invalid('is malformed');
  if (decodedOrNull(storeId ?? '') !== identity.storeId) throw invalid('is from another store');
  if (Number(generation) !== identity.generation) throw invalid('is from before the store was restored from a backup');
  if (Number(seq) > identity.sequence) throw invalid('is ahead of this server: it has forgotten changes the client saw');
  return Number(seq);
}

function decodedOrNull(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

interface SyncRequest {
  token: string;
  limit: number | null;
  names: PropertyName[];
}

function parseSyncRequest(root: XmlElement): SyncRequest {
  const level = childElement(root, NS.dav, 'sync-level')?.text.trim() ?? '1';
  if (level !== '1') throw davError('forbidden', 'Only sync-level 1 is supported: sync each collection on its own.');
  const limitText = childElement(childElement(root, NS.dav, 'limit') ?? root, NS.dav, 'nresults')?.text.trim();
  const limit = limitText === undefined ? null : Number(limitText);
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw davError('bad-request', 'DAV:nresults must be a positive whole number.');
  const prop = childElement(root, NS.dav, 'prop');
  return {
    token: childElement(root, NS.dav, 'sync-token')?.text.trim() ?? '',
    limit,
    names: prop ? prop.children.map(({ ns, name }) => ({ ns, name })) : [{ ns: NS.dav, name: 'getetag' }],
  };
}

type Describe = (resource: DavResource, names: PropertyName[], context: ReturnType<typeof propertyContext>) => Promise<XmlOut>;

export async function syncCollection(reply: FastifyReply, context: DavContext, resource: DavResource, root: XmlElement, describe: Describe): Promise<FastifyReply> {
  if (resource.kind !== 'collection') throw davError('forbidden', 'sync-collection works on a collection.');
  const ask = parseSyncRequest(root);
  const identity = await context.identity();
  const properties = propertyContext(context);
  const { collection } = resource;
  const itemResource = async (name: string): Promise<DavResource | null> => {
    const item = await context.userStore.getItem(collection.path, name);
    return item && !item.deleted ? { kind: 'item', href: hrefs.item(context.user.name, collection.path, name), collection, item } : null;
  };
  const responses: XmlOut[] = [];

  if (ask.token === '') {
    // A full sync: every live item, oldest change first so a truncated answer's token
    // continues exactly after the last item sent.
    const seqNow = identity.sequence;
    const items = ((await context.userStore.listItems(collection.path)) ?? []).sort((a, b) => a.head.seq - b.head.seq);
    const sent = ask.limit === null ? items : items.slice(0, ask.limit);
    for (const item of sent) {
      responses.push(await describe({ kind: 'item', href: hrefs.item(context.user.name, collection.path, item.name), collection, item }, ask.names, properties));
    }
    const truncated = sent.length < items.length;
    const last = sent[sent.length - 1];
    return answer(reply, responses, resource.href, syncToken(identity, truncated && last ? last.head.seq : seqNow), truncated);
  }

  const after = tokenSequence(ask.token, identity);
  const { names, position, truncated } = await changedNames(context, collection, after, ask.limit);
  for (const name of names) {
    const current = await itemResource(name);
    responses.push(current ? await describe(current, ask.names, properties) : statusResponse(hrefs.item(context.user.name, collection.path, name), 404));
  }
  return answer(reply, responses, resource.href, syncToken(identity, position), truncated);
}

/** Names of items changed after `after`, in change order, at most `limit` of them. */
async function changedNames(
  context: DavContext,
  collection: Collection,
  after: number,
  limit: number | null,
): Promise<{ names: string[]; position: number; truncated: boolean }> {
  const names = new Set<string>();
  let position = after;
  for (;;) {
    const changes: Change[] = await context.userStore.changesSince({ after: position, limit: PAGE, collectionIds: [collection.id] });
    for (const change of changes) {
      if (change.kind === 'revision' && !names.has(change.revision.itemName)) {
        if (limit !== null && names.size >= limit) return { names: [...names], position, truncated: true };
        names.add(change.revision.itemName);
      }
      position = change.seq;
    }
    if (changes.length < PAGE) return { names: [...names], position, truncated: false };
  }
}

function answer(reply: FastifyReply, responses: XmlOut[], href: string, token: string, truncated: boolean): FastifyReply {
  // RFC 6578 §3.6: a truncated answer says so with a 507 for the collection itself.
  if (truncated) responses.push(statusResponse(href, 507));
  return sendMultistatus(reply, responses, [dav('sync-token', [token])]);
}
