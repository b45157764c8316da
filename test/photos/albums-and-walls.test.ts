// Albums are references kept in the store; users are walled off from each other's photos
// and albums; and the library's derived data can be thrown away and is made again.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import type { Album } from '../../src/photos/albums.ts';
import type { PhotoEntry } from '../../src/photos/library-entries.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { api, apiJson, bytesOf, davMkcol, davPut, library, metric, settledLibrary } from './photo-client.ts';
import { heic, jpeg } from './photo-fixtures.ts';

const beach = await jpeg({ width: 1000, height: 750, color: { r: 0, g: 120, b: 220 }, takenAt: '2023:08:15 14:00:00', offset: '+01:00', make: 'Fujifilm', model: 'X-T5' });
const forest = await jpeg({ width: 900, height: 600, color: { r: 0, g: 140, b: 40 }, takenAt: '2023:09:01 09:30:00', make: 'Fujifilm', model: 'X-T5' });
const city = await heic({ width: 4032, height: 3024, color: { r: 0, g: 0, b: 0 }, takenAt: '2023:10:10 20:00:00', make: 'Apple', model: 'iPhone 14' });

type AlbumBody = { album: Album };
type AlbumPage = { album: Album; photos: PhotoEntry[]; next: string | null; missing: Array<{ sha256: string; path: string }> };

async function uploadAll(server: Harness): Promise<void> {
  await davMkcol(server, 'alice/files/');
  await davMkcol(server, 'alice/files/Trips/');
  await davPut(server, 'alice/files/Trips/beach.jpg', beach);
  await davPut(server, 'alice/files/Trips/forest.jpg', forest);
  await davPut(server, 'alice/files/Trips/city.heic', city);
}

describe('albums', () => {
  let server: Harness;
  let photos: PhotoEntry[];
  const path = (name: string): string => photos.find((p) => p.name === name)?.path ?? assert.fail(`no ${name}`);
  const hash = (name: string): string => photos.find((p) => p.name === name)?.sha256 ?? assert.fail(`no ${name}`);

  before(async () => {
    server = await startHarness({ indexPhotos: true });
    await uploadAll(server);
    photos = await settledLibrary(server, 3);
  });
  after(() => server.close());

  test('an album is created, listed, filled, renamed, and lists its photos like the library', async () => {
    const created = await apiJson<AlbumBody>(server, 'POST', '/api/v1/photos/albums', { title: 'Summer 2023' });
    assert.equal(created.status, 201);
    const { id } = created.body.album;
    assert.match(id, /^album-/);
    assert.equal(created.body.album.title, 'Summer 2023');

    for (const name of ['beach.jpg', 'city.heic']) {
      const added = await apiJson<{ member: { sha256: string; path: string } }>(server, 'POST', `/api/v1/photos/albums/${id}/members`, { path: path(name) });
      assert.equal(added.status, 201);
      assert.deepEqual(added.body.member, { sha256: hash(name), path: path(name) });
    }
    const again = await apiJson(server, 'POST', `/api/v1/photos/albums/${id}/members`, { path: path('beach.jpg') });
    assert.equal(again.status, 200, 'adding a member twice is harmless');

    const renamed = await apiJson<AlbumBody>(server, 'PATCH', `/api/v1/photos/albums/${id}`, { title: 'Summer and autumn 2023' });
    assert.equal(renamed.status, 200);
    const listed = await apiJson<{ albums: Album[] }>(server, 'GET', '/api/v1/photos/albums');
    assert.deepEqual(
      listed.body.albums.map((a) => [a.id, a.title, a.members]),
      [[id, 'Summer and autumn 2023', 2]],
    );

    const page = await apiJson<AlbumPage>(server, 'GET', `/api/v1/photos/albums/${id}`);
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.photos.map((p) => p.name), ['city.heic', 'beach.jpg'], 'newest first');
    assert.equal(page.body.photos[1]?.takenAt, '2023-08-15T14:00:00+01:00');
    assert.deepEqual(page.body.missing, []);
  });

  test('the album lives in the store: a records collection per album, a JSON reference per member', async () => {
    const created = await apiJson<AlbumBody>(server, 'POST', '/api/v1/photos/albums', { title: 'Stored' });
    const { id } = created.body.album;
    await apiJson(server, 'POST', `/api/v1/photos/albums/${id}/members`, { path: path('forest.jpg') });
    const propfind = await fetch(`${server.url}/dav/alice/albums/${id}/${hash('forest.jpg')}.json`, { headers: { authorization: server.appPassword.alice } });
    assert.equal(propfind.status, 200);
    assert.deepEqual(await propfind.json(), { sha256: hash('forest.jpg'), path: 'files/Trips/forest.jpg' });
    const collections = await apiJson<{ collections: Array<{ name: string; kind: string }> }>(server, 'GET', '/api/v1/collections');
    assert.ok(collections.body.collections.some((c) => c.name === 'albums' && c.kind === 'records'));
  });

  test('a member survives its photo being moved and renamed over WebDAV', async () => {
    const { body } = await apiJson<AlbumBody>(server, 'POST', '/api/v1/photos/albums', { title: 'Moves' });
    const { id } = body.album;
    await apiJson(server, 'POST', `/api/v1/photos/albums/${id}/members`, { path: path('forest.jpg') });
    await davMkcol(server, 'alice/files/Sorted/');
    const moved = await fetch(`${server.url}/dav/alice/files/Trips/forest.jpg`, {
      method: 'MOVE',
      headers: { authorization: server.appPassword.alice, destination: '/dav/alice/files/Sorted/green-forest.jpg' },
    });
    assert.equal(moved.status, 201);
    const page = await apiJson<AlbumPage>(server, 'GET', `/api/v1/photos/albums/${id}`);
    assert.deepEqual(page.body.photos.map((p) => p.path), ['files/Sorted/green-forest.jpg']);
    assert.equal(page.body.photos[0]?.status, 'ready');
    const thumbnail = await api(server, page.body.photos[0]?.urls.thumbnail ?? '');
    assert.equal(thumbnail.status, 200);
    // Moved back, so the other tests find it where they expect.
    await fetch(`${server.url}/dav/alice/files/Sorted/green-forest.jpg`, { method: 'MOVE', headers: { authorization: server.appPassword.alice, destination: '/dav/alice/files/Trips/forest.jpg' } });
  });

  test('a member whose photo was deleted is listed as missing, not as a photo', async () => {
    await davPut(server, 'alice/files/Trips/doomed.jpg', await jpeg({ width: 64, height: 64, color: { r: 1, g: 1, b: 1 } }));
    const doomed = (await settledLibrary(server, 4)).find((p) => p.name === 'doomed.jpg');
    assert.ok(doomed);
    const { body } = await apiJson<AlbumBody>(server, 'POST', '/api/v1/photos/albums', { title: 'Doomed' });
    await apiJson(server, 'POST', `/api/v1/photos/albums/${body.album.id}/members`, { path: doomed.path });
    const deleted = await fetch(`${server.url}/dav/alice/files/Trips/doomed.jpg`, { method: 'DELETE', headers: { authorization: server.appPassword.alice } });
    assert.equal(deleted.status, 204);
    const page = await apiJson<AlbumPage>(server, 'GET', `/api/v1/photos/albums/${body.album.id}`);
    assert.deepEqual(page.body.photos, []);
    assert.deepEqual(page.body.missing, [{ sha256: doomed.sha256, path: doomed.path }]);
  });

  test('removing a member or deleting an album never deletes a photo', async () => {
    const { body } = await apiJson<AlbumBody>(server, 'POST', '/api/v1/photos/albums', { title: 'Short-lived' });
    const { id } = body.album;
    await apiJson(server, 'POST', `/api/v1/photos/albums/${id}/members`, { path: path('beach.jpg') });
    await apiJson(server, 'POST', `/api/v1/photos/albums/${id}/members`, { path: path('forest.jpg') });
    const removed = await api(server, `/api/v1/photos/albums/${id}/members/${hash('beach.jpg')}`, server.appPassword.alice, { method: 'DELETE' });
    assert.equal(removed.status, 204);
    const removedAgain = await api(server, `/api/v1/photos/albums/${id}/members/${hash('beach.jpg')}`, server.appPassword.alice, { method: 'DELETE' });
    assert.equal(removedAgain.status, 404);
    const gone = await api(server, `/api/v1/photos/albums/${id}`, server.appPassword.alice, { method: 'DELETE' });
    assert.equal(gone.status, 204);
    assert.equal((await api(server, `/api/v1/photos/albums/${id}`)).status, 404);
    const names = (await library(server)).photos.map((p) => p.name).sort();
    assert.deepEqual(names, ['beach.jpg', 'city.heic', 'forest.jpg']);
    const original = await api(server, `/api/v1/photos/original/files/Trips/beach.jpg`);
    assert.ok((await bytesOf(original)).equals(beach));
  });

  test('bad album requests change nothing and say why', async () => {
    const cases: Array<[string, string, unknown, number]> = [
      ['POST', '/api/v1/photos/albums', { title: '' }, 400],
      ['POST', '/api/v1/photos/albums', { title: 'x', colour: 'red' }, 400],
      ['PATCH', '/api/v1/photos/albums/album-nope', { title: 'x' }, 404],
      ['POST', '/api/v1/photos/albums/album-nope/members', { path: 'files/Trips/beach.jpg' }, 404],
      ['DELETE', '/api/v1/photos/albums/album-nope/members/zz', undefined, 400],
    ];
    for (const [method, url, body, status] of cases) {
      const response = await apiJson<{ error: string; message: string }>(server, method, url, body);
      assert.equal(response.status, status, `${method} ${url}`);
      assert.ok(response.body.message.length > 10);
    }
    const { body } = await apiJson<AlbumBody>(server, 'POST', '/api/v1/photos/albums', { title: 'Checks' });
    const notAPhoto = await apiJson(server, 'POST', `/api/v1/photos/albums/${body.album.id}/members`, { path: 'files/Trips/nothing.jpg' });
    assert.equal(notAPhoto.status, 404);
    assert.equal((await apiJson<AlbumPage>(server, 'GET', `/api/v1/photos/albums/${body.album.id}`)).body.photos.length, 0);
  });
});

test('a top-level "albums" collection of files is left alone: albums answer 409, and its folders are not albums', async () => {
  const server = await startHarness();
  try {
    await davMkcol(server, 'alice/albums/');
    await davMkcol(server, 'alice/albums/holiday/');
    await davPut(server, 'alice/albums/holiday/photo.jpg', beach);
    const created = await apiJson<{ error: string; message: string }>(server, 'POST', '/api/v1/photos/albums', { title: 'Summer' });
    assert.equal(created.status, 409);
    assert.match(created.body.message, /Rename that collection/);
    assert.deepEqual((await apiJson<{ albums: Album[] }>(server, 'GET', '/api/v1/photos/albums')).body.albums, []);
    for (const [method, url, body] of [
      ['GET', '/api/v1/photos/albums/holiday', undefined],
      ['PATCH', '/api/v1/photos/albums/holiday', { title: 'x' }],
      ['POST', '/api/v1/photos/albums/holiday/members', { path: 'albums/holiday/photo.jpg' }],
      ['DELETE', '/api/v1/photos/albums/holiday', undefined],
    ] as const) {
      assert.equal((await apiJson(server, method, url, body)).status, 404, `${method} ${url}`);
    }
    const listing = await fetch(`${server.url}/dav/alice/albums/holiday/photo.jpg`, { headers: { authorization: server.appPassword.alice } });
    assert.ok((await bytesOf(listing)).equals(beach), 'the folder is untouched');
    assert.equal((await library(server)).photos[0]?.path, 'albums/holiday/photo.jpg', 'and its photo is in the library like any file');
  } finally {
    await server.close();
  }
});

describe('walls between users', () => {
  let server: Harness;
  let alicePhotos: PhotoEntry[];
  let albumId: string;

  before(async () => {
    server = await startHarness({ indexPhotos: true });
    await uploadAll(server);
    alicePhotos = await settledLibrary(server, 3);
    const { body } = await apiJson<AlbumBody>(server, 'POST', '/api/v1/photos/albums', { title: 'Private' });
    albumId = body.album.id;
    await apiJson(server, 'POST', `/api/v1/photos/albums/${albumId}/members`, { path: 'files/Trips/beach.jpg' });
  });
  after(() => server.close());

  test("a second user sees none of the first one's photos or albums", async () => {
    const bob = server.appPassword.bob;
    assert.deepEqual((await library(server, '', bob)).photos, []);
    assert.deepEqual((await apiJson<{ albums: Album[] }>(server, 'GET', '/api/v1/photos/albums', undefined, bob)).body.albums, []);
    for (const url of [...alicePhotos.flatMap((p) => Object.values(p.urls)), `/api/v1/photos/albums/${albumId}`]) {
      const response = await api(server, url, bob);
      assert.equal(response.status, 404, url);
    }
    const rename = await apiJson(server, 'PATCH', `/api/v1/photos/albums/${albumId}`, { title: 'Mine now' }, bob);
    assert.equal(rename.status, 404);
    const add = await apiJson(server, 'DELETE', `/api/v1/photos/albums/${albumId}`, undefined, bob);
    assert.equal(add.status, 404);
    const albums = await apiJson<{ albums: Album[] }>(server, 'GET', '/api/v1/photos/albums');
    assert.equal(albums.body.albums[0]?.title, 'Private');
  });

  test("the same photo in a second user's files is processed once, and is theirs alone", async () => {
    const before = await metric(server, 'holdfast_photos_processed_total{status="ready"}');
    await davMkcol(server, 'bob/files/', server.appPassword.bob);
    await davPut(server, 'bob/files/beach-too.jpg', beach, server.appPassword.bob);
    const bobs = await settledLibrary(server, 1, server.appPassword.bob);
    assert.equal(bobs[0]?.path, 'files/beach-too.jpg');
    assert.equal(bobs[0]?.status, 'ready');
    assert.equal(bobs[0]?.sha256, alicePhotos.find((p) => p.name === 'beach.jpg')?.sha256);
    assert.equal((await api(server, bobs[0]?.urls.thumbnail ?? '', server.appPassword.bob)).status, 200);
    assert.equal(await metric(server, 'holdfast_photos_processed_total{status="ready"}'), before);
    assert.equal((await library(server)).photos.length, 3, "alice's library is unchanged");
  });
});

describe('derived data', () => {
  let dataDir: string;
  before(async () => {
    dataDir = join(await mkdtemp(join(tmpdir(), 'holdfast-photos-')), 'data');
  });
  after(() => rm(join(dataDir, '..'), { recursive: true, force: true }));

  test('deleting derived/ and restarting brings the whole library back', async () => {
    const first = await startHarness({ indexPhotos: true, dataDir });
    await uploadAll(first);
    const before = await settledLibrary(first, 3);
    const thumbnail = await bytesOf(await api(first, before[0]?.urls.thumbnail ?? ''));
    await first.close();

    await rm(join(dataDir, 'derived'), { recursive: true, force: true });
    const second = await startHarness({ indexPhotos: true, dataDir });
    try {
      const after = await settledLibrary(second, 3);
      assert.deepEqual(after.map((p) => ({ ...p, uploadedAt: '' })), before.map((p) => ({ ...p, uploadedAt: '' })));
      const again = await bytesOf(await api(second, after[0]?.urls.thumbnail ?? ''));
      assert.deepEqual(await sharp(again).metadata().then((m) => [m.width, m.height]), await sharp(thumbnail).metadata().then((m) => [m.width, m.height]));
    } finally {
      await second.close();
    }
  });

  test('a damaged index is rebuilt from the store, and the log says so', async () => {
    await writeFile(join(dataDir, 'derived', 'photos.sqlite'), 'this is not a database, it was overwritten by something\n'.repeat(200));
    await rm(join(dataDir, 'derived', 'photos.sqlite-wal'), { force: true });
    await rm(join(dataDir, 'derived', 'photos.sqlite-shm'), { force: true });
    const server = await startHarness({ indexPhotos: true, dataDir });
    try {
      const photos = await settledLibrary(server, 3);
      assert.ok(photos.every((p) => p.status !== 'pending'));
      assert.ok(server.logs.some((line) => line.includes('rebuilt its index')), 'the rebuild is logged');
    } finally {
      await server.close();
    }
  });

  test('half-written derived files a crash left behind are removed at start, and only those', async () => {
    const shard = join(dataDir, 'derived', 'photos', '00');
    await mkdir(shard, { recursive: true });
    const old = join(shard, `${'0'.repeat(64)}.preview.jpg.tmp-0123456789ab`);
    const fresh = join(shard, `${'0'.repeat(64)}.thumbnail.jpg.tmp-ba9876543210`);
    await writeFile(old, 'half a preview');
    await writeFile(fresh, 'being written right now');
    const anHourAgo = new Date(Date.now() - 3600_000);
    await utimes(old, anHourAgo, anHourAgo);
    const server = await startHarness({ indexPhotos: true, dataDir });
    try {
      for (let i = 0; i < 100 && (await readdir(shard)).length > 1; i++) await sleep(20);
      assert.deepEqual(await readdir(shard), [`${'0'.repeat(64)}.thumbnail.jpg.tmp-ba9876543210`]);
    } finally {
      await server.close();
      await rm(shard, { recursive: true, force: true });
    }
  });

  test('without the indexer, a thumbnail asked for is made on demand', async () => {
    await rm(join(dataDir, 'derived'), { recursive: true, force: true });
    const server = await startHarness({ indexPhotos: false, dataDir });
    try {
      const pending = (await library(server)).photos;
      assert.deepEqual(pending.map((p) => p.status), ['pending', 'pending', 'pending'], 'nothing looked at yet; listed by name and type');
      const beachEntry = pending.find((p) => p.name === 'beach.jpg');
      const response = await api(server, beachEntry?.urls.thumbnail ?? '');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/jpeg');
      assert.equal((await sharp(await bytesOf(response)).metadata()).width, 256);
      const now = (await library(server)).photos.find((p) => p.name === 'beach.jpg');
      assert.equal(now?.status, 'ready');
      assert.equal(now?.takenAt, '2023-08-15T14:00:00+01:00');
    } finally {
      await server.close();
    }
  });
});
