// COPY and MOVE (RFC 4918 §9.8, §9.9). Each is one store call, atomic in the store: a MOVE
// can never lose or duplicate an item. The Destination is an absolute URL on this server or
// an absolute path; Overwrite (default T) decides whether an existing destination is
// replaced. Replaced content is not lost: it stays in the history and the trash.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { overQuotaMessage } from '../../store/over-quota-message.ts';
import type { Collection, CollectionCopyResult, CollectionMoveResult, Item, ItemTransferResult } from '../../store/types.ts';
import { checkContent, needsContentCheck, uidConflict } from './content-rules.ts';
import { staleMessage, writePrecondition } from '../rest/conditional.ts';
import { davError } from './dav-errors.ts';
import { destinationPath, parseDavPath } from './dav-paths.ts';
import { authorOf, davContext, existing, lookupParsed, requestPath, type DavContext, type DavResource, type Lookup } from './dav-resources.ts';
import { guardWrite } from './locks/write-guard.ts';
import { depthOf, headerValue, overwriteOf } from './request-headers.ts';

type Method = 'COPY' | 'MOVE';

/** Where the destination is: its parent collection's path (null: the home) and its name. */
function placeOf(destination: Lookup): { parent: string | null; name: string } {
  switch (destination.kind) {
    case 'missing':
      if (!destination.parentExists) throw davError('conflict', 'The collection the Destination is in does not exist; create it first.');
      return { parent: destination.parent?.path ?? null, name: destination.name };
    case 'item':
      return { parent: destination.collection.path, name: destination.item.name };
    case 'collection': {
      const path = destination.collection.path;
      const slash = path.lastIndexOf('/');
      return { parent: slash < 0 ? null : path.slice(0, slash), name: destination.collection.name };
    }
    default:
      throw davError('forbidden', 'The Destination is your home, your principal or the DAV root, which cannot be replaced.');
  }
}

async function destinationOf(request: FastifyRequest, context: DavContext): Promise<Lookup> {
  const raw = destinationPath(headerValue(request, 'destination'), request.headers.host);
  const path = parseDavPath(raw);
  if (path.kind === 'root' || path.userName !== context.user.name) {
    throw davError('forbidden', 'The Destination is outside your own DAV space; COPY and MOVE work within it.');
  }
  return lookupParsed(context, path, raw);
}

export async function copyOrMove(request: FastifyRequest, reply: FastifyReply, method: Method): Promise<FastifyReply> {
  const context = davContext(request);
  const source = await existing(context, requestPath(request));
  if (source.kind !== 'item' && source.kind !== 'collection') throw davError('forbidden', `Your home, your principal and the DAV root cannot be the source of a ${method}.`);
  const destination = await destinationOf(request, context);
  await guardWrite(request, [...(method === 'MOVE' ? [{ path: source.href, effect: 'unbind' as const }] : []), { path: destination.href, effect: 'bind' }]);
  const overwrite = overwriteOf(request);
  if (destination.kind !== 'missing' && destination.href === source.href) throw davError('same-resource', `The source and the Destination of this ${method} are the same resource.`);
  if (destination.kind === 'collection' && source.href.startsWith(destination.href)) {
    throw davError('forbidden', `The Destination holds the source; a ${method} onto it would replace the source itself.`);
  }
  const place = placeOf(destination);
  const existed = destination.kind !== 'missing';
  if (existed && !overwrite) throw davError('precondition-failed', 'The Destination exists and Overwrite is F; nothing was changed.');
  const done = (created: boolean): FastifyReply => {
    request.log.info({ method, from: source.href, to: destination.href }, method === 'MOVE' ? 'moved' : 'copied');
    return reply.code(created ? 201 : 204).send();
  };
  return source.kind === 'item'
    ? transferItem(request, context, method, source, destination, place, { overwrite, existed, done })
    : transferCollection(request, context, method, source, destination, place, { overwrite, existed, done });
}

interface TransferAnswer {
  overwrite: boolean;
  existed: boolean;
  done: (created: boolean) => FastifyReply;
}

type Place = ReturnType<typeof placeOf>;

async function transferItem(
  request: FastifyRequest,
  context: DavContext,
  method: Method,
  source: Extract<DavResource, { kind: 'item' }>,
  destination: Lookup,
  place: Place,
  { overwrite, existed, done }: TransferAnswer,
): Promise<FastifyReply> {
  const { userStore } = context;
  // Every check comes before the first change: a refused request changes nothing.
  if (place.parent === null) throw davError('conflict', 'Items live inside a collection, not directly in your home.');
  const target = await userStore.getCollection(place.parent);
  if (!target) throw davError('conflict', 'The collection the Destination is in does not exist; create it first.');
  await checkTransferredContent(context, source.collection, source.item, target);
  const precondition = await writePrecondition(request.headers, () => userStore.getItem(source.collection.path, source.item.name), source.collection.kind);

  // An item replacing a collection: the store replaces only its own kind, so the collection
  // goes to the trash first (from where it can be restored).
  if (destination.kind === 'collection') await trashCollection(context, destination.collection.path);
  const from = { collection: source.collection.path, name: source.item.name };
  const to = { collection: place.parent, name: place.name };
  const options = { author: authorOf(request), overwrite, precondition };
  const result = method === 'MOVE' ? await userStore.moveItem(from, to, options) : await userStore.copyItem(from, to, options);
  if (result.kind === 'key-conflict') throw uidConflict(target, context.user.name, result.existingName);
  // Dead properties travel with the content, in the store's one transaction.
  return answerItem(result, done, existed);
}

async function transferCollection(
  request: FastifyRequest,
  context: DavContext,
  method: Method,
  source: Extract<DavResource, { kind: 'collection' }>,
  destination: Lookup,
  place: Place,
  { overwrite, existed, done }: TransferAnswer,
): Promise<FastifyReply> {
  const { userStore } = context;
  const depth = depthOf(request, 'infinity');
  if (method === 'MOVE' && depth !== 'infinity') throw davError('bad-request', 'A MOVE of a collection moves everything in it: send Depth: infinity or no Depth.');
  if (depth === 1) throw davError('bad-request', 'A COPY of a collection takes Depth: 0 (the collection alone) or infinity (everything in it).');

  // A collection replacing an item: the item goes to the trash first, with its history.
  if (destination.kind === 'item') await userStore.deleteItem(destination.collection.path, destination.item.name, { author: authorOf(request) });
  const to = { parent: place.parent, name: place.name };
  const result =
    method === 'MOVE'
      ? await userStore.moveCollection(source.collection.path, to, { overwrite })
      : await userStore.copyCollection(source.collection.path, to, { overwrite, depth, author: authorOf(request) });
  return answerCollection(result, done, existed);
}

/** An item entering an address book or calendar of another kind must be valid there. */
async function checkTransferredContent(context: DavContext, from: Collection, item: Item, to: Collection): Promise<void> {
  if (from.kind === to.kind || !needsContentCheck(to)) return;
  const content = await context.userStore.readContent(item.head.id);
  if (!content) throw new Error(`the head revision ${item.head.id} of a live item has no content`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of content.open()) chunks.push(chunk);
  checkContent(to, item.head.contentType ?? undefined, Buffer.concat(chunks));
}

async function trashCollection(context: DavContext, path: string): Promise<void> {
  const result = await context.userStore.deleteCollection(path);
  if (result.kind !== 'changed') throw davError('conflict', 'The collection at the Destination changed meanwhile; nothing was changed.');
}

function answerItem(result: ItemTransferResult, done: (created: boolean) => FastifyReply, existed: boolean): FastifyReply {
  switch (result.kind) {
    case 'moved':
    case 'copied':
      return done(result.created && !existed);
    case 'not-found':
      throw davError('not-found', 'The source was deleted meanwhile; nothing was changed.');
    case 'no-collection':
      throw davError('conflict', 'The collection the Destination is in does not exist; create it first.');
    case 'same-item':
      throw davError('same-resource', 'The source and the Destination are the same resource.');
    case 'destination-exists':
      throw davError('precondition-failed', 'The Destination exists and Overwrite is F; nothing was changed.');
    case 'precondition-failed':
      throw davError('precondition-failed', staleMessage(result.current));
    case 'key-conflict':
      throw davError('conflict', `Another item in the destination collection (${result.existingName}) has the same UID.`);
    case 'over-quota':
      throw davError('over-quota', overQuotaMessage(result));
  }
}

function answerCollection(result: CollectionMoveResult | CollectionCopyResult, done: (created: boolean) => FastifyReply, existed: boolean): FastifyReply {
  switch (result.kind) {
    case 'moved':
    case 'copied':
      return done(!existed);
    case 'not-found':
      throw davError('not-found', 'The source was deleted meanwhile; nothing was changed.');
    case 'no-parent':
      throw davError('conflict', 'The collection the Destination is in does not exist; create it first.');
    case 'name-taken':
      throw davError('precondition-failed', 'The Destination exists and Overwrite is F; nothing was changed.');
    case 'into-itself':
      throw davError('forbidden', 'A collection cannot be copied or moved into itself.');
    case 'over-quota':
      throw davError('over-quota', overQuotaMessage(result));
  }
}
