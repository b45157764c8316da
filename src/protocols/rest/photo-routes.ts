// The photo library under /api/v1/photos (docs/photos.md): the signed-in user's photos
// and videos newest first, their thumbnails, previews and originals, and (album-routes.ts)
// their albums. Photos are addressed by their path in the user's files, so every request
// goes through the user's own view of the store and cannot reach anyone else's.
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { UserStore } from '../../store/store.ts';
import type { Item } from '../../store/types.ts';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError } from '../../server/errors.ts';
import type { Variant } from '../../photos/derived-files.ts';
import { liveFiles, page, photoEntries } from '../../photos/library-entries.ts';
import type { PhotoLibrary } from '../../photos/photo-library.ts';
import { placeholderSvg } from '../../photos/placeholder.ts';
import { registerAlbumRoutes } from './album-routes.ts';
import { nameProblem } from './names.ts';
import { cursorAfter, pageLimit } from './photo-paging.ts';

export interface PhotoApiOptions {
  authenticate: onRequestAsyncHookHandler;
  photos: PhotoLibrary;
}

/** The file a photo URL names: the path after `/photos/<what>/`, one percent-encoded segment per name. */
function photoAddress(request: FastifyRequest, what: string): { collection: string; name: string } {
  const path = request.url.split('?')[0] ?? '';
  const marker = `/photos/${what}/`;
  const rest = path.slice(path.indexOf(marker) + marker.length);
  const segments = rest.split('/').map((segment) => {
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      throw new ApiError('bad-request', `The URL segment "${segment}" is not valid percent-encoded UTF-8.`);
    }
    const problem = nameProblem(name);
    if (problem) throw new ApiError('invalid-name', `The name "${name}" in the photo's path is not usable: ${problem}.`);
    return name;
  });
  if (segments.length < 2) {
    throw new ApiError('not-found', `Name a photo by its path in your files, as the library lists it: ${'/api/v1'}${marker}COLLECTION/…/NAME.`);
  }
  return { collection: segments.slice(0, -1).join('/'), name: segments.at(-1) ?? '' };
}

/** The live item at the address, in a collection of kind 'files', or a 404. */
async function photoItem(userStore: UserStore, address: { collection: string; name: string }): Promise<Item & { head: { contentHash: string } }> {
  const collection = await userStore.getCollection(address.collection);
  const item = collection?.kind === 'files' ? await userStore.getItem(address.collection, address.name) : null;
  if (!item || item.deleted || item.head.contentHash === null) {
    throw new ApiError('not-found', `There is no photo "${address.name}" in your files at "${address.collection}"; GET /api/v1/photos lists your library.`);
  }
  return item as Item & { head: { contentHash: string } };
}

function etagMatches(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  if (header === undefined) return false;
  return header.trim() === '*' || header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

async function sendDerived(request: FastifyRequest<{ Querystring: { v?: string } }>, reply: FastifyReply, photos: PhotoLibrary, variant: Variant): Promise<FastifyReply> {
  const { userStore } = signedIn(request);
  const item = await photoItem(userStore, photoAddress(request, variant));
  const sha256 = item.head.contentHash;
  const image = await photos.derived(sha256, variant, () => userStore.readContent(item.head.id));
  const etag = image.kind === 'image' ? `"${sha256}.${variant}"` : `"${sha256}.${variant}.placeholder-${image.reason}"`;
  // A versioned URL (?v= from the listing) that matches names these exact bytes for good;
  // anything else must be checked again, as the item may be overwritten or get a real
  // thumbnail later.
  const immutable = image.kind === 'image' && request.query.v !== undefined && sha256.startsWith(request.query.v) && request.query.v.length >= 8;
  reply
    .header('etag', etag)
    .header('cache-control', immutable ? 'private, max-age=31536000, immutable' : 'private, no-cache')
    .header('x-content-type-options', 'nosniff');
  if (etagMatches(request, etag)) return reply.code(304).send();
  if (image.kind === 'image') return reply.type('image/jpeg').send(image.data);
  return reply
    .header('x-holdfast-placeholder', image.reason)
    // A script inside an SVG must never run: these are pictures only.
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    .type('image/svg+xml')
    .send(placeholderSvg(image.reason, variant));
}

export function photoApi(app: FastifyInstance, options: PhotoApiOptions, done: (error?: Error) => void): void {
  const { photos } = options;
  app.addHook('onRequest', options.authenticate);

  app.get<{ Querystring: { limit?: string; cursor?: string } }>('/photos', async (request) => {
    const { userStore } = signedIn(request);
    const limit = pageLimit(request.query.limit);
    const after = cursorAfter(request.query.cursor);
    return page(photoEntries(await liveFiles(userStore), photos), after, limit);
  });

  app.get<{ Querystring: { v?: string } }>('/photos/thumbnail/*', (request, reply) => sendDerived(request, reply, photos, 'thumbnail'));
  app.get<{ Querystring: { v?: string } }>('/photos/preview/*', (request, reply) => sendDerived(request, reply, photos, 'preview'));

  app.get('/photos/original/*', async (request, reply) => {
    const { userStore } = signedIn(request);
    const item = await photoItem(userStore, photoAddress(request, 'original'));
    const etag = `"${item.head.contentHash}"`;
    reply.header('etag', etag).header('cache-control', 'private, no-cache');
    if (etagMatches(request, etag)) return reply.code(304).send();
    const content = await userStore.readContent(item.head.id);
    if (!content) throw new Error(`the head revision ${item.head.id} of a live item has no content`);
    const record = photos.known([item.head.contentHash]).get(item.head.contentHash);
    return reply
      // What the bytes are, when they were looked at; else what the uploader said.
      .header('content-type', record?.mediaType ?? item.head.contentType ?? 'application/octet-stream')
      .header('content-length', String(content.size))
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', 'sandbox')
      .send(Readable.from(content.open()));
  });

  registerAlbumRoutes(app, photos);
  done();
}
