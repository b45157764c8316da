// The way back: an item's history, restoring an older revision, the trash, undelete.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RestoreResult } from '../../store/types.ts';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError } from '../../server/errors.ts';
import { overQuotaMessage } from '../../store/over-quota-message.ts';
import { parseBody, restoreBody } from './bodies.ts';
import { etagOf, staleMessage, writePrecondition } from './conditional.ts';
import { AUTHOR, itemPath, noCollection, noItem } from './item-routes.ts';
import { checkName } from './names.ts';
import { itemJson, revisionJson } from './representations.ts';

type ItemParams = { Params: { collection: string; item: string } };

export function registerHistoryRoutes(app: FastifyInstance): void {
  app.get<ItemParams>('/collections/:collection/items/:item/history', async (request) => {
    const { userStore } = signedIn(request);
    const { collection, name } = itemPath(request);
    const revisions = await userStore.history(collection, name);
    if (!revisions) throw noItem(collection, name);
    return { revisions: revisions.map(revisionJson) };
  });

  app.post<ItemParams>('/collections/:collection/items/:item/restore', async (request, reply) => {
    const { userStore } = signedIn(request);
    const { collection, name } = itemPath(request);
    const { revision } = parseBody(restoreBody, request.body);
    const precondition = await writePrecondition(request.headers, () => userStore.getItem(collection, name));
    const result = await userStore.restoreRevision(collection, name, revision, { author: AUTHOR, precondition });
    if (result.kind === 'not-found') {
      throw new ApiError('not-found', `There is no item "${name}" in "${collection}" with a revision "${revision}"; GET its history for the revision ids.`);
    }
    if (result.kind === 'restored') request.log.info({ collection, item: name, from: revision, revision: result.revision.id }, 'revision restored');
    return answerRestore(result, collection, name, reply);
  });

  app.get<{ Querystring: { collection?: string } }>('/trash', async (request) => {
    const { userStore } = signedIn(request);
    const only = request.query.collection === undefined ? undefined : checkName('collection', request.query.collection);
    const [items, collections] = await Promise.all([userStore.listTrash(only), userStore.listCollections({ includeDeleted: true })]);
    const names = new Map(collections.map((c) => [c.id, c.name]));
    return { items: items.map((item) => itemJson(item, names.get(item.collectionId) ?? '')) };
  });

  app.post<ItemParams>('/collections/:collection/items/:item/undelete', async (request, reply) => {
    const { userStore } = signedIn(request);
    const { collection, name } = itemPath(request);
    const precondition = await writePrecondition(request.headers, () => userStore.getItem(collection, name));
    const result = await userStore.undelete(collection, name, { author: AUTHOR, precondition });
    if (result.kind === 'restored') request.log.info({ collection, item: name, revision: result.revision.id }, 'item undeleted');
    return answerRestore(result, collection, name, reply);
  });
}

function answerRestore(
  result: RestoreResult,
  collection: string,
  name: string,
  reply: FastifyReply,
): FastifyReply {
  switch (result.kind) {
    case 'restored':
      return reply.header('etag', etagOf(result.revision)).send({ revision: revisionJson(result.revision) });
    case 'not-found':
      throw noItem(collection, name);
    case 'no-collection':
      throw noCollection(collection);
    case 'not-deleted':
      throw new ApiError('conflict', `The item "${name}" is not in the trash (its current ETag is ${etagOf(result.current)}); there is nothing to undelete.`);
    case 'is-tombstone':
      throw new ApiError('conflict', 'That revision is a deletion; restore one of the revisions before it.');
    case 'precondition-failed':
      throw new ApiError('precondition-failed', staleMessage(result.current));
    case 'key-conflict':
      throw new ApiError('conflict', `"${result.existingName}" in "${collection}" already holds the same UID as that revision; delete or change it first.`);
    case 'over-quota':
      throw new ApiError('over-quota', overQuotaMessage(result));
  }
}
