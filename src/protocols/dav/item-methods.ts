// GET, HEAD, PUT and DELETE. An ETag is the quoted id of the item's head revision, or in a
// file tree its content hash (strong either way: it changes with every byte), and every
// If-Match / If-None-Match becomes one store precondition checked in the write's own
// transaction (../rest/conditional.ts). GET serves one byte range (./range.ts).
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatBytes } from '../../server/errors.ts';
import { overQuotaMessage } from '../../store/over-quota-message.ts';
import type { Collection } from '../../store/types.ts';
import { etagOf, notModified, rangeStillValid, staleMessage, writePrecondition } from '../rest/conditional.ts';
import { davError } from './dav-errors.ts';
import { authorOf, davContext, existing, lookup, requestPath, type Lookup } from './dav-resources.ts';
import { checkContent, needsContentCheck, uidConflict, type CheckedContent } from './content-rules.ts';
import { guardWrite } from './locks/write-guard.ts';
import { flavourOf } from './properties.ts';
import { contentRangeOf, parseRange, verifiedSlice } from './range.ts';
import { readBody } from './request-body.ts';
import { depthOf, headerValue } from './request-headers.ts';

export async function getItem(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const context = davContext(request);
  const resource = await existing(context, requestPath(request));
  if (resource.kind !== 'item') {
    throw davError('method-not-allowed', 'This is a collection; list what is in it with PROPFIND (Depth: 1).', { allow: 'OPTIONS, PROPFIND, PROPPATCH, MKCOL, DELETE, COPY, MOVE' });
  }
  const head = resource.item.head;
  reply
    .header('etag', etagOf(head, resource.collection.kind))
    .header('last-modified', new Date(head.createdAt).toUTCString())
    .header('accept-ranges', 'bytes')
    // Stored content is whatever a client uploaded: never let a browser run it as a page.
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', 'sandbox');
  // Neither a 304 nor a HEAD reads any content: the revision knows its size.
  if (notModified(request.headers, head)) return reply.code(304).send();
  reply.header('content-type', head.contentType ?? 'application/octet-stream');
  // Range is defined for GET only (RFC 9110 §14.2): a HEAD describes the whole content.
  if (request.method === 'HEAD') return reply.header('content-length', String(head.size)).send();
  const range = rangeStillValid(headerValue(request, 'if-range'), head) ? parseRange(request.headers.range, head.size) : ({ kind: 'whole' } as const);
  if (range.kind === 'unsatisfiable') {
    throw davError('range-not-satisfiable', `The Range asked for starts past the end of the content, which is ${head.size} bytes long.`, {
      'content-range': `bytes */${head.size}`,
    });
  }
  const content = await context.userStore.readContent(head.id);
  if (!content) throw new Error(`the head revision ${head.id} of a live item has no content`);
  if (range.kind === 'whole') return reply.header('content-length', String(content.size)).send(Readable.from(content.open()));
  return reply
    .code(206)
    .header('content-range', contentRangeOf(range, content.size))
    .header('content-length', String(range.end - range.start + 1))
    .send(Readable.from(verifiedSlice(content.open(), range.start, range.end)));
}

async function* bodyChunks(stream: Readable): AsyncIterable<Uint8Array> {
  for await (const chunk of stream as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw new Error('the request stream yielded something other than bytes');
    yield chunk;
  }
}

function contentTypeOf(request: FastifyRequest): string | undefined {
  const header = request.headers['content-type'];
  if (header === undefined) return undefined;
  if (header.length > 255 || /[\u0000-\u001f\u007f]/.test(header)) {
    throw davError('bad-request', 'The Content-Type header is too long or holds control characters.');
  }
  return header;
}

/** Where a PUT writes: the collection and the item name, or the reason it cannot. */
function putTarget(found: Lookup): { collection: Collection; name: string } {
  switch (found.kind) {
    case 'item':
      return { collection: found.collection, name: found.item.name };
    case 'missing':
      if (!found.parentExists) throw davError('conflict', 'The collection to put this in does not exist; create it first with MKCOL.');
      if (found.parent === null) throw davError('conflict', 'Items live inside a collection, not directly in your home; create a collection with MKCOL first.');
      if (found.trailingSlash) throw davError('conflict', 'A URL ending in "/" names a collection; PUT a resource at a name without one.');
      return { collection: found.parent, name: found.name };
    default:
      throw davError('method-not-allowed', 'A collection cannot be replaced by PUT; DELETE it first, or PUT to a name inside it.', { allow: 'OPTIONS, PROPFIND, PROPPATCH, DELETE, COPY, MOVE' });
  }
}

export async function putItem(request: FastifyRequest, reply: FastifyReply, maxBodyBytes: number): Promise<FastifyReply> {
  const context = davContext(request);
  const { userStore } = context;
  await guardWrite(request, [{ path: requestPath(request), effect: 'bind' }]);
  const target = putTarget(await lookup(context, requestPath(request)));
  const collection = target.collection.path;
  const contentType = contentTypeOf(request);
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw davError('unsupported-media-type', `Content-Encoding "${encoding}" is not accepted: send the content as it should be stored.`);
  }
  if (request.headers['content-range'] !== undefined) throw davError('bad-request', 'A partial PUT (Content-Range) is not supported; send the whole content.');
  // Address books and calendars name their limit (max-resource-size) in the answer too.
  const flavour = flavourOf(target.collection.kind);
  const tooLargeCode = flavour === 'addressbook' ? 'address-max-resource-size' : flavour === 'calendar' ? 'calendar-max-resource-size' : 'too-large';
  const tooLarge = (limit: number) =>
    davError(tooLargeCode, `The content is larger than the limit of ${formatBytes(limit)}; nothing was stored.`, { connection: 'close' });
  const declared = request.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBodyBytes) throw tooLarge(maxBodyBytes);

  const precondition = await writePrecondition(request.headers, () => userStore.getItem(collection, target.name), target.collection.kind);
  // vCards and calendar objects are small and must be checked whole before they are
  // stored; anything else streams straight into the store.
  let content: Buffer | AsyncIterable<Uint8Array> = bodyChunks(request.raw);
  let checked: CheckedContent = { contentType: contentType ?? 'application/octet-stream' };
  if (needsContentCheck(target.collection)) {
    const body = await readBody(request, maxBodyBytes, tooLargeCode);
    checked = checkContent(target.collection, contentType, body);
    content = body;
  }
  const result = await userStore.putItem(collection, target.name, content, {
    contentType: checked.contentType,
    author: authorOf(request),
    precondition,
    maxBytes: maxBodyBytes,
    ...(checked.uniqueKey === undefined ? {} : { uniqueKey: checked.uniqueKey }),
  });
  switch (result.kind) {
    case 'written':
      request.log.info({ collection, item: target.name, revision: result.revision.id, size: result.revision.size }, 'item written');
      return reply.code(result.created ? 201 : 204).header('etag', etagOf(result.revision, target.collection.kind)).send();
    case 'unchanged':
      return reply.code(204).header('etag', etagOf(result.revision, target.collection.kind)).send();
    case 'precondition-failed':
      throw davError('precondition-failed', staleMessage(result.current, target.collection.kind));
    case 'no-collection':
      throw davError('conflict', 'The collection was deleted while the content was being written; nothing was stored.');
    case 'too-large':
      throw tooLarge(result.limit);
    case 'revision-id-taken':
      throw davError('conflict', 'That revision id is already used for other content.');
    case 'key-conflict':
      throw uidConflict(target.collection, context.user.name, result.existingName);
    case 'over-quota':
      // The rest of the body is not read: end the connection rather than drain it.
      throw davError('over-quota', overQuotaMessage(result), { connection: 'close' });
  }
}

export async function deleteResource(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const context = davContext(request);
  const { userStore } = context;
  await guardWrite(request, [{ path: requestPath(request), effect: 'unbind' }]);
  const resource = await existing(context, requestPath(request));
  switch (resource.kind) {
    case 'item': {
      const { collection, item } = resource;
      const precondition = await writePrecondition(request.headers, () => userStore.getItem(collection.path, item.name), collection.kind);
      const result = await userStore.deleteItem(collection.path, item.name, { author: authorOf(request), precondition });
      switch (result.kind) {
        case 'deleted':
          request.log.info({ collection: collection.path, item: item.name, revision: result.tombstone.id }, 'item moved to the trash');
          return reply.code(204).send();
        case 'precondition-failed':
          throw davError('precondition-failed', staleMessage(result.current, collection.kind));
        case 'not-found':
        case 'no-collection':
          throw davError('not-found', `Nothing exists at ${requestPath(request)}.`);
      }
      break;
    }
    case 'collection': {
      // RFC 4918 §9.6.1: a DELETE of a collection acts as Depth: infinity; anything else is refused.
      if (depthOf(request, 'infinity') !== 'infinity') throw davError('bad-request', 'A DELETE of a collection removes everything in it: send Depth: infinity or no Depth.');
      const ifMatch = request.headers['if-match'];
      if (ifMatch !== undefined && ifMatch.trim() !== '*') throw davError('precondition-failed', 'A collection has no ETag to match; nothing was deleted.');
      const result = await userStore.deleteCollection(resource.collection.path);
      if (result.kind !== 'changed') throw davError('not-found', `Nothing exists at ${requestPath(request)}.`);
      request.log.info({ collection: resource.collection.path }, 'collection moved to the trash');
      return reply.code(204).send();
    }
    default:
      throw davError('forbidden', 'Your home, your principal and the DAV root cannot be deleted.');
  }
}
