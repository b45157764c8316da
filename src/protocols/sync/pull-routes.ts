// The read side of the sync API: the handshake, pulling changes after a cursor, and the
// content of a revision too large to travel inline.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError } from '../../server/errors.ts';
import type { UserStore } from '../../store/store.ts';
import type { Change, StoreIdentity } from '../../store/types.ts';
import { decodeCursor, encodeCursor, forgotten } from '../../sync/cursor.ts';
import { syncCollectionJson, syncRevisionJson } from './sync-json.ts';
import { MAX_MISSING_IDS, MAX_PUSH_REVISIONS } from './sync-bodies.ts';

export const DEFAULT_PULL_LIMIT = 500;
export const MAX_PULL_LIMIT = 1000;
/** Content up to this size travels inline (base64) in a pull; larger is fetched by reference. */
export const INLINE_PULL_BYTES = 64 * 1024;
/** Past this much inline content in one page, the rest of the page's content goes by
 * reference, so a page of a thousand changes stays a few megabytes. */
export const INLINE_PAGE_BYTES = 4 * 1024 * 1024;

export interface PullOptions {
  identity: () => Promise<StoreIdentity>;
  maxBlobBytes: number;
}

type PullQuery = { Querystring: { cursor?: string; limit?: string; collections?: string } };

export async function collectionPaths(userStore: UserStore): Promise<Map<number, string>> {
  const all = await userStore.listCollections({ includeDeleted: true });
  return new Map(all.map((collection) => [collection.id, collection.path]));
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PULL_LIMIT;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PULL_LIMIT) {
    throw new ApiError('bad-request', `"limit" must be a whole number from 1 to ${MAX_PULL_LIMIT}, got ${JSON.stringify(text)}.`);
  }
  return limit;
}

function parseCollections(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const ids = text.split(',').filter((part) => part !== '').map(Number);
  if (ids.some((id) => !Number.isSafeInteger(id) || id < 1)) {
    throw new ApiError('bad-request', `"collections" must be collection ids separated by commas (from GET /api/v1/sync), got ${JSON.stringify(text.slice(0, 100))}.`);
  }
  return ids;
}

/** The answer that starts a device's heal: this server cannot continue from that cursor. */
export function serverForgot(reply: FastifyReply, identity: StoreIdentity, reason: string): FastifyReply {
  const why = {
    'other-store': 'it was issued by another store (this server was replaced or started empty)',
    'other-generation': 'this store was restored from a backup since it was issued',
    ahead: 'it is ahead of this server (the server lost its newest changes)',
  }[reason];
  return reply.code(409).send({
    error: 'server-forgot',
    message: `This server cannot continue from that cursor: ${why}. Ask POST /api/v1/sync/missing which of your revisions it lacks, push them, then pull again without a cursor.`,
    reason,
    storeId: identity.storeId,
    generation: identity.generation,
    sequence: identity.sequence,
  });
}

async function changeJson(
  change: Change,
  userStore: UserStore,
  paths: ReadonlyMap<number, string>,
  budget: { inlineBytes: number },
): Promise<Record<string, unknown>> {
  if (change.kind === 'collection') return { seq: change.seq, type: 'collection', collection: syncCollectionJson(change.collection) };
  const revision = change.revision;
  let content: Record<string, string> | null = null;
  if (!revision.deleted) {
    const inline = revision.size <= INLINE_PULL_BYTES && revision.size <= budget.inlineBytes;
    const stored = inline ? await userStore.readContent(revision.id) : null;
    if (stored) {
      const chunks: Uint8Array[] = [];
      for await (const chunk of stored.open()) chunks.push(chunk);
      content = { base64: Buffer.concat(chunks).toString('base64') };
      budget.inlineBytes -= revision.size;
    } else content = { href: `/api/v1/sync/content/${encodeURIComponent(revision.id)}` };
  }
  return { seq: change.seq, type: 'revision', revision: syncRevisionJson(revision, paths), content };
}

export function registerPullRoutes(app: FastifyInstance, options: PullOptions): void {
  app.get('/', async (request) => {
    const { userStore } = signedIn(request);
    const [identity, collections, userSequence, conflicts] = await Promise.all([
      options.identity(),
      userStore.listCollections(),
      userStore.latestSequence(),
      userStore.conflictSummary(),
    ]);
    return {
      storeId: identity.storeId,
      generation: identity.generation,
      sequence: identity.sequence,
      userSequence,
      collections: collections.map(syncCollectionJson),
      conflicts,
      limits: {
        pullChanges: MAX_PULL_LIMIT,
        pushRevisions: MAX_PUSH_REVISIONS,
        missingRevisionIds: MAX_MISSING_IDS,
        inlineContentBytes: INLINE_PULL_BYTES,
        blobBytes: options.maxBlobBytes,
      },
    };
  });

  app.get<PullQuery>('/changes', async (request, reply) => {
    const { userStore } = signedIn(request);
    const limit = parseLimit(request.query.limit);
    const collectionIds = parseCollections(request.query.collections);
    // Read before the changes: every change up to this sequence is committed, so a last
    // page may move the cursor up to it without skipping anything.
    const identity = await options.identity();
    let after = 0;
    const cursor = request.query.cursor;
    if (cursor !== undefined && cursor !== '') {
      const position = decodeCursor(cursor);
      if (!position) {
        throw new ApiError('bad-request', 'The cursor is not one this server makes: send back a cursor exactly as a pull answered it, or none to start from the beginning.');
      }
      const reason = forgotten(position, identity);
      if (reason) return serverForgot(reply, identity, reason);
      after = position.sequence;
    }
    const found = await userStore.changesSince({ after, limit: limit + 1, ...(collectionIds ? { collectionIds } : {}) });
    const more = found.length > limit;
    const page = found.slice(0, limit);
    const last = page[page.length - 1]?.seq ?? after;
    const next = more ? last : Math.max(last, identity.sequence);
    const paths = await collectionPaths(userStore);
    const changes = [];
    const budget = { inlineBytes: INLINE_PAGE_BYTES };
    for (const change of page) changes.push(await changeJson(change, userStore, paths, budget));
    return { changes, more, cursor: encodeCursor({ storeId: identity.storeId, generation: identity.generation, sequence: next }) };
  });

  app.get<{ Params: { revisionId: string } }>('/content/:revisionId', async (request, reply) => {
    const { userStore } = signedIn(request);
    const content = await userStore.readContent(request.params.revisionId);
    if (!content) {
      throw new ApiError('not-found', `You have no revision "${request.params.revisionId.slice(0, 128)}" with content (a deletion has none).`);
    }
    const revision = content.revision;
    return reply
      .header('content-type', revision.contentType ?? 'application/octet-stream')
      .header('content-length', String(content.size))
      .header('x-content-sha256', revision.contentHash ?? '')
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', 'sandbox')
      .send(Readable.from(content.open()));
  });
}
