// Albums under /api/v1/photos/albums (docs/photos.md): collections of references to the
// user's photos, kept in the store (see src/photos/albums.ts). Removing a member or
// deleting an album never touches a photo.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { UserStore } from '../../store/store.ts';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError } from '../../server/errors.ts';
import {
  addMember,
  createAlbum,
  deleteAlbum,
  ensureAlbumsRoot,
  getAlbum,
  listAlbums,
  removeMember,
  renameAlbum,
  resolveMembers,
} from '../../photos/albums.ts';
import { page, photoEntries } from '../../photos/library-entries.ts';
import type { PhotoLibrary } from '../../photos/photo-library.ts';
import { parseBody } from './bodies.ts';
import { checkName } from './names.ts';
import { cursorAfter, pageLimit } from './photo-paging.ts';

const albumBody = z.strictObject({ title: z.string().trim().min(1).max(255) });
const memberBody = z.strictObject({ path: z.string().min(3).max(4096) });

type AlbumParams = { Params: { album: string } };

function noAlbum(id: string): ApiError {
  return new ApiError('not-found', `You have no album "${id}"; GET /api/v1/photos/albums lists yours.`);
}

async function albumsRoot(userStore: UserStore): Promise<void> {
  const root = await ensureAlbumsRoot(userStore);
  if (root.kind === 'taken') {
    throw new ApiError(
      'conflict',
      `Your top-level collection "albums" holds ${root.holds}, and the photo library keeps albums there. Rename that collection (a DAV MOVE) to use albums.`,
    );
  }
}

/** The live file a member path names ("files/Camera/IMG_1.jpg"), with its content hash. */
async function memberTarget(userStore: UserStore, path: string): Promise<{ sha256: string; path: string }> {
  const slash = path.lastIndexOf('/');
  const collection = path.slice(0, slash);
  const name = path.slice(slash + 1);
  const kind = slash > 0 ? (await userStore.getCollection(collection))?.kind : undefined;
  const item = kind === 'files' && name !== '' ? await userStore.getItem(collection, name) : null;
  if (!item || item.deleted || item.head.contentHash === null) {
    throw new ApiError('not-found', `There is no photo at "${path}" in your files; use a "path" from GET /api/v1/photos.`);
  }
  return { sha256: item.head.contentHash, path: `${collection}/${name}` };
}

export function registerAlbumRoutes(app: FastifyInstance, photos: PhotoLibrary): void {
  app.get('/photos/albums', async (request) => {
    const { userStore } = signedIn(request);
    return { albums: await listAlbums(userStore) };
  });

  app.post('/photos/albums', async (request, reply) => {
    const { userStore } = signedIn(request);
    const { title } = parseBody(albumBody, request.body);
    await albumsRoot(userStore);
    const album = await createAlbum(userStore, title);
    request.log.info({ album: album.id }, 'album created');
    return reply.code(201).send({ album });
  });

  app.get<AlbumParams & { Querystring: { limit?: string; cursor?: string } }>('/photos/albums/:album', async (request) => {
    const { userStore } = signedIn(request);
    const id = checkName('collection', request.params.album);
    const limit = pageLimit(request.query.limit);
    const after = cursorAfter(request.query.cursor);
    const album = await getAlbum(userStore, id);
    const members = album ? await resolveMembers(userStore, id) : null;
    if (!album || !members) throw noAlbum(id);
    return { album, ...page(photoEntries(members.found, photos), after, limit), missing: members.missing };
  });

  app.patch<AlbumParams>('/photos/albums/:album', async (request) => {
    const { userStore } = signedIn(request);
    const id = checkName('collection', request.params.album);
    const { title } = parseBody(albumBody, request.body);
    const album = (await getAlbum(userStore, id)) ? await renameAlbum(userStore, id, title) : null;
    if (!album) throw noAlbum(id);
    return { album };
  });

  app.delete<AlbumParams>('/photos/albums/:album', async (request, reply) => {
    const { userStore } = signedIn(request);
    const id = checkName('collection', request.params.album);
    if (!(await getAlbum(userStore, id)) || !(await deleteAlbum(userStore, id))) throw noAlbum(id);
    request.log.info({ album: id }, 'album moved to the trash');
    return reply.code(204).send();
  });

  app.post<AlbumParams>('/photos/albums/:album/members', async (request, reply) => {
    const { userStore } = signedIn(request);
    const id = checkName('collection', request.params.album);
    const { path } = parseBody(memberBody, request.body);
    if (!(await getAlbum(userStore, id))) throw noAlbum(id);
    const result = await addMember(userStore, id, await memberTarget(userStore, path));
    if (result.kind === 'no-album') throw noAlbum(id);
    return reply.code(result.kind === 'added' ? 201 : 200).send({ member: result.member });
  });

  app.delete<{ Params: { album: string; sha256: string } }>('/photos/albums/:album/members/:sha256', async (request, reply) => {
    const { userStore } = signedIn(request);
    const id = checkName('collection', request.params.album);
    const { sha256 } = request.params;
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ApiError('bad-request', 'Name the member by its photo\'s sha256 (64 lowercase hex digits), as the album lists it.');
    if (!(await getAlbum(userStore, id))) throw noAlbum(id);
    const result = await removeMember(userStore, id, sha256);
    if (result === 'no-album') throw noAlbum(id);
    if (result === 'not-member') throw new ApiError('not-found', `The photo ${sha256} is not in the album "${id}".`);
    return reply.code(204).send();
  });
}
