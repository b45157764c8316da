// Items of a collection: list, read, write (the raw request body is the content), delete.
// Content streams in and out; a large file never sits in memory.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError, tooLarge } from '../../server/errors.ts';
import { overQuotaMessage } from '../../store/over-quota-message.ts';
import { etagOf, notModified, staleMessage, writePrecondition } from './conditional.ts';
import { checkName } from './names.ts';
import { itemJson, revisionJson } from './representations.ts';

export const AUTHOR = 'rest';

type ItemParams = { Params: { collection: string; item: string } };

export function itemPath(request: FastifyRequest<ItemParams>): { collection: string; name: string } {
  return { collection: checkName('collection', request.params.collection), name: checkName('item', request.params.item) };
}

export function noCollection(collection: string): ApiError {
  return new ApiError('not-found', `You have no collection named "${collection}"; create it with PUT /api/v1/collections/${encodeURIComponent(collection)}.`);
}

export function noItem(collection: string, name: string): ApiError {
  return new ApiError('not-found', `There is no item "${name}" in the collection "${collection}".`);
}

async function* bodyChunks(stream: Readable): AsyncIterable<Uint8Array> {
  for await (const chunk of stream as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw new Error('the request stream yielded something other than bytes');
    yield chunk;
  }
}

function contentTypeOf(request: FastifyRequest): string {
  const header = request.headers['content-type'];
  if (header === undefined) return 'application/octet-stream';
  if (header.length > 255 || /[\u0000-\u001f\u007f]/.test(header)) {
    throw new ApiError('bad-request', 'The Content-Type header is too long or holds control characters.');
  }
  return header;
}

export function registerItemRoutes(app: FastifyInstance, options: { maxBodyBytes: number }): void {
  const { maxBodyBytes } = options;

  app.get<{ Params: { collection: string } }>('/collections/:collection/items', async (request) => {
    const { userStore } = signedIn(request);
    const collection = checkName('collection', request.params.collection);
    const items = await userStore.listItems(collection);
    if (!items) throw noCollection(collection);
    return { items: items.map((item) => itemJson(item)) };
  });

  app.get<ItemParams>('/collections/:collection/items/:item', async (request, reply) => {
    const { userStore } = signedIn(request);
    const { collection, name } = itemPath(request);
    const item = await userStore.getItem(collection, name);
    if (!item) throw (await userStore.getCollection(collection)) ? noItem(collection, name) : noCollection(collection);
    if (item.deleted) {
      throw new ApiError('not-found', `The item "${name}" is in the trash; POST …/items/${encodeURIComponent(name)}/undelete brings it back.`);
    }
    reply.header('etag', etagOf(item.head));
    if (notModified(request.headers, item.head)) return reply.code(304).send();
    const content = await userStore.readContent(item.head.id);
    if (!content) throw new Error(`the head revision ${item.head.id} of a live item has no content`);
    return reply
      .header('content-type', item.head.contentType ?? 'application/octet-stream')
      .header('content-length', String(content.size))
      // Stored content is whatever a client uploaded: never let a browser run it as a page.
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', 'sandbox')
      .send(Readable.from(content.open()));
  });

  // The body of an item PUT is the content itself, of any media type, streamed straight
  // into the store; so this route takes the raw request instead of a parsed body.
  void app.register(async (raw) => {
    raw.removeAllContentTypeParsers();
    raw.addContentTypeParser('*', (_request, _payload, done) => done(null));

    raw.put<ItemParams>('/collections/:collection/items/:item', async (request, reply) => {
      const { userStore } = signedIn(request);
      const { collection, name } = itemPath(request);
      const contentType = contentTypeOf(request);
      const encoding = request.headers['content-encoding'];
      if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
        throw new ApiError('unsupported-media-type', `Content-Encoding "${encoding}" is not accepted: send the content as it should be stored.`);
      }
      const declared = request.headers['content-length'];
      if (declared !== undefined && Number(declared) > maxBodyBytes) throw tooLarge(maxBodyBytes);

      const precondition = await writePrecondition(request.headers, () => userStore.getItem(collection, name));
      const result = await userStore.putItem(collection, name, bodyChunks(request.raw), {
        contentType,
        author: AUTHOR,
        precondition,
        maxBytes: maxBodyBytes,
      });
      switch (result.kind) {
        case 'written':
          request.log.info({ collection, item: name, revision: result.revision.id, size: result.revision.size }, 'item written');
          return reply
            .code(result.created ? 201 : 200)
            .header('etag', etagOf(result.revision))
            .send({ revision: revisionJson(result.revision) });
        case 'unchanged':
          return reply.header('etag', etagOf(result.revision)).send({ revision: revisionJson(result.revision) });
        case 'precondition-failed':
          throw new ApiError('precondition-failed', staleMessage(result.current));
        case 'no-collection':
          throw noCollection(collection);
        case 'too-large':
          throw tooLarge(result.limit);
        case 'revision-id-taken':
          throw new ApiError('conflict', 'That revision id is already used for other content.');
        case 'key-conflict':
          throw new ApiError('conflict', `"${result.existingName}" in "${collection}" already holds the same UID.`);
        case 'over-quota':
          // The rest of the body is not read: end the connection rather than drain it.
          throw new ApiError('over-quota', overQuotaMessage(result), { connection: 'close' });
      }
    });
  });

  app.delete<ItemParams>('/collections/:collection/items/:item', async (request, reply) => {
    const { userStore } = signedIn(request);
    const { collection, name } = itemPath(request);
    const precondition = await writePrecondition(request.headers, () => userStore.getItem(collection, name));
    const result = await userStore.deleteItem(collection, name, { author: AUTHOR, precondition });
    switch (result.kind) {
      case 'deleted':
        request.log.info({ collection, item: name, revision: result.tombstone.id }, 'item moved to the trash');
        return reply.code(204).send();
      case 'not-found':
        throw noItem(collection, name);
      case 'precondition-failed':
        throw new ApiError('precondition-failed', staleMessage(result.current));
      case 'no-collection':
        throw noCollection(collection);
    }
  });
}
