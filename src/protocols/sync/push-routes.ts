// The write side of the sync API: pushing revisions made on a device, uploading large
// content first, asking which revisions the server lacks (the heal check), and the list
// of conflicts.
import type { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError, tooLarge } from '../../server/errors.ts';
import { StoreInputError } from '../../store/names.ts';
import { overQuotaMessage } from '../../store/over-quota-message.ts';
import { pushRevision, type PushContext, type PushedRevision, type PushOutcome } from '../../sync/push.ts';
import type { StagedBlobs } from '../../sync/staged-blobs.ts';
import { parseBody } from '../rest/bodies.ts';
import { collectionPaths } from './pull-routes.ts';
import { importConflictsBody, missingBody, pushBody, resolveBody, type pushedRevisionBody } from './sync-bodies.ts';
import { conflictJson, syncRevisionJson } from './sync-json.ts';
import type { z } from 'zod';

export interface PushOptions {
  staged: StagedBlobs;
  maxContentBytes: number;
  maxBlobBytes: number;
}

function toPushed(body: z.infer<typeof pushedRevisionBody>): PushedRevision {
  return {
    id: body.id,
    collection: body.collection,
    item: body.item,
    baseRevisionId: body.baseRevisionId,
    deleted: body.deleted,
    ...(body.content !== undefined ? { content: Buffer.from(body.content, 'base64') } : {}),
    ...(body.contentHash !== undefined ? { contentHash: body.contentHash } : {}),
    ...(body.contentType !== undefined ? { contentType: body.contentType } : {}),
    author: body.author,
    // One form, so "later" is a string comparison and a re-sent revision compares equal.
    createdAt: new Date(body.createdAt).toISOString(),
  };
}

async function* bodyChunks(stream: Readable): AsyncIterable<Uint8Array> {
  for await (const chunk of stream as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw new Error('the request stream yielded something other than bytes');
    yield chunk;
  }
}

export function registerPushRoutes(app: FastifyInstance, options: PushOptions): void {
  app.post('/push', async (request) => {
    const { user, userStore } = signedIn(request);
    const { revisions } = parseBody(pushBody, request.body);
    const ctx: PushContext = { userStore, userId: user.id, staged: options.staged, maxContentBytes: options.maxContentBytes };
    const paths = await collectionPaths(userStore);
    const refusedItems = new Set<string>();
    const results = [];
    for (const body of revisions) {
      const pushed = toPushed(body);
      const itemKey = `${pushed.collection.path}\u0000${pushed.item}`;
      let outcome: PushOutcome;
      if (refusedItems.has(itemKey)) {
        outcome = { result: 'refused', reason: 'earlier-refused', message: 'An earlier revision of this item in the same push was refused; nothing after it was applied.' };
      } else {
        try {
          outcome = await pushRevision(ctx, pushed);
        } catch (error) {
          if (!(error instanceof StoreInputError)) throw error;
          outcome = { result: 'refused', reason: 'bad-input', message: `${error.message}.` };
        }
      }
      // A revision written on a refused stale delete is the item made again on the device:
      // it is decided like any edit (as it would be in a later push), not lost with the delete.
      if (outcome.result === 'refused' && outcome.reason !== 'stale-delete') refusedItems.add(itemKey);
      if (outcome.result !== 'refused' && outcome.head && !paths.has(outcome.head.collectionId)) {
        for (const [id, path] of await collectionPaths(userStore)) paths.set(id, path);
      }
      results.push(resultJson(pushed.id, outcome, paths));
      request.log.info({ revision: pushed.id, result: outcome.result, ...(outcome.result === 'refused' ? { reason: outcome.reason } : {}) }, 'sync push');
    }
    return { results };
  });

  app.post('/missing', async (request) => {
    const { userStore } = signedIn(request);
    const { revisionIds } = parseBody(missingBody, request.body);
    const missing: string[] = [];
    // Another user's revision counts as missing: the answer never says it exists.
    for (const id of new Set(revisionIds)) if (!(await userStore.getRevision(id))) missing.push(id);
    return { missing };
  });

  app.get<{ Querystring: { limit?: string } }>('/conflicts', async (request) => {
    const { userStore } = signedIn(request);
    const limit = request.query.limit === undefined ? 1000 : Number(request.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new ApiError('bad-request', '"limit" must be a whole number from 1 to 10000.');
    const [marks, paths] = await Promise.all([userStore.listConflicts({ limit }), collectionPaths(userStore)]);
    const conflicts = [];
    for (const mark of marks) conflicts.push(conflictJson(mark, await userStore.getRevision(mark.revisionId), paths));
    return { conflicts };
  });

  // A heal: the device puts back the marks of a server that forgot them.
  app.post('/conflicts', async (request) => {
    const { userStore } = signedIn(request);
    const { conflicts } = parseBody(importConflictsBody, request.body);
    const imported = await userStore.importConflicts(
      conflicts.map((c) => ({ revisionId: c.revisionId, winnerId: c.winnerRevisionId, at: new Date(c.at).toISOString() })),
    );
    request.log.info({ offered: conflicts.length, imported }, 'sync conflict marks put back');
    return { imported };
  });

  app.post<{ Params: { revisionId: string } }>('/conflicts/:revisionId/resolve', async (request) => {
    const { userStore } = signedIn(request);
    const { restore } = parseBody(resolveBody, request.body);
    const { revisionId } = request.params;
    const result = await userStore.resolveConflict(revisionId, { restore, author: 'sync:resolve' });
    switch (result.kind) {
      case 'not-found':
        throw new ApiError('not-found', `You have no open conflict with the revision "${revisionId.slice(0, 128)}"; GET /api/v1/sync/conflicts lists them.`);
      case 'key-conflict':
        throw new ApiError('conflict', `"${result.existingName}" in the same collection now holds the UID of that revision; change or delete it first.`);
      case 'over-quota':
        throw new ApiError('over-quota', overQuotaMessage(result));
      case 'resolved': {
        request.log.info({ revision: revisionId, restore, head: result.restored?.id }, 'sync conflict resolved');
        const paths = await collectionPaths(userStore);
        return { resolved: revisionId, head: result.restored ? syncRevisionJson(result.restored, paths) : null };
      }
    }
  });

  // The body is the content itself, streamed to disk while it is hashed.
  void app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, _payload, done) => done(null));
    raw.put<{ Params: { sha256: string } }>('/blobs/:sha256', async (request, reply) => {
      const { user } = signedIn(request);
      const { sha256 } = request.params;
      if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ApiError('bad-request', 'The URL must end in the content\'s SHA-256 as 64 lowercase hex digits.');
      const declared = request.headers['content-length'];
      if (declared !== undefined && Number(declared) > options.maxBlobBytes) throw tooLarge(options.maxBlobBytes);
      const result = await options.staged.stage(user.id, sha256, bodyChunks(request.raw), options.maxBlobBytes);
      if (result.kind === 'too-large') throw tooLarge(result.limit);
      if (result.kind === 'hash-mismatch') {
        throw new ApiError('bad-request', `The content's SHA-256 is ${result.actual}, not ${sha256}; nothing was kept. Upload it again.`);
      }
      request.log.info({ sha256, size: result.size }, 'sync content uploaded');
      return reply.code(201).send({ sha256, size: result.size });
    });
  });
}

function resultJson(id: string, outcome: PushOutcome, paths: ReadonlyMap<number, string>): Record<string, unknown> {
  switch (outcome.result) {
    case 'refused':
      return { id, result: 'refused', reason: outcome.reason, message: outcome.message };
    case 'conflict':
      return {
        id,
        result: 'conflict',
        head: syncRevisionJson(outcome.head, paths),
        winner: outcome.winner,
        loserRevisionId: outcome.loserRevisionId,
        fields: outcome.fields,
      };
    case 'merged':
      return { id, result: 'merged', head: syncRevisionJson(outcome.head, paths), mergedRevisionId: outcome.mergedRevisionId };
    case 'applied':
    case 'already-applied':
      return { id, result: outcome.result, head: outcome.head ? syncRevisionJson(outcome.head, paths) : null };
  }
}
