// The tus 1.0.0 protocol at /api/v1/uploads, request by request over real HTTP: creation,
// HEAD, PATCH, checksums, termination, expiry, ownership, limits and strict headers.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { request as httpRequest, type ClientRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MAX_UNFINISHED_UPLOADS } from '../../src/uploads/tus-routes.ts';
import { TUS, createUpload, davGet, head, metadataHeader, patch, startUploadServer, type UploadServer } from './upload-server.ts';

const HOUR = 3600 * 1000;
const MAX_UPLOAD = 8 * 1024 * 1024;
const digest = (algorithm: string, data: Buffer) => createHash(algorithm).update(data).digest();
const sha256 = (data: Buffer) => digest('sha256', data).toString('hex');

describe('tus 1.0.0 at /api/v1/uploads', () => {
  let server: UploadServer;
  before(async () => {
    server = await startUploadServer({ maxUploadBytes: MAX_UPLOAD, maxBodyBytes: 1024 * 1024 });
  });
  after(async () => {
    await server.close();
  });

  const uploadsUrl = () => `${server.url}/api/v1/uploads`;
  const post = (headers: Record<string, string>, body?: Buffer) =>
    fetch(uploadsUrl(), { method: 'POST', headers: { ...TUS, authorization: server.auth.alice, ...headers }, ...(body ? { body } : {}) });

  test('OPTIONS announces the version, extensions, size limit and checksum algorithms, without sign-in', async () => {
    const response = await fetch(uploadsUrl(), { method: 'OPTIONS' });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('tus-resumable'), '1.0.0');
    assert.equal(response.headers.get('tus-version'), '1.0.0');
    assert.equal(response.headers.get('tus-extension'), 'creation,creation-with-upload,termination,checksum,expiration');
    assert.equal(response.headers.get('tus-max-size'), String(MAX_UPLOAD));
    assert.equal(response.headers.get('tus-checksum-algorithm'), 'sha1,sha256');
  });

  test('creation answers 201 with an unguessable Location and an expiry; HEAD reports offset, length and metadata', async () => {
    const metadata = { path: 'files/notes.txt', contentType: 'text/plain' };
    const { response, url } = await createUpload(server, 'alice', 11, metadata);
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('tus-resumable'), '1.0.0');
    assert.match(new URL(url).pathname, /^\/api\/v1\/uploads\/[0-9a-f]{32}$/);
    assert.equal(response.headers.get('upload-expires'), new Date(Date.parse('2026-06-01T12:00:00Z') + 24 * HOUR).toUTCString());

    const state = await head(url, server.auth.alice);
    assert.equal(state.status, 200);
    assert.equal(state.headers.get('upload-offset'), '0');
    assert.equal(state.headers.get('upload-length'), '11');
    assert.equal(state.headers.get('upload-metadata'), metadataHeader(metadata));
    assert.equal(state.headers.get('cache-control'), 'no-store');
    assert.equal(state.headers.get('tus-resumable'), '1.0.0');

    const done = await patch(url, server.auth.alice, 0, Buffer.from('hello world'));
    assert.equal(done.status, 204);
    assert.equal(done.headers.get('upload-offset'), '11');
    const stored = await davGet(server, 'alice', 'files/notes.txt');
    assert.equal(stored.body.toString(), 'hello world');
    assert.equal(stored.type, 'text/plain');
  });

  test('a request without Tus-Resumable 1.0.0 is answered 412 with Tus-Version, and creates nothing', async () => {
    const before = await server.uploadDirs();
    for (const version of [undefined, '0.2.2']) {
      const headers: Record<string, string> = { authorization: server.auth.alice, 'upload-length': '5', 'upload-metadata': metadataHeader({ path: 'files/x' }) };
      if (version) headers['tus-resumable'] = version;
      const response = await fetch(uploadsUrl(), { method: 'POST', headers });
      assert.equal(response.status, 412);
      assert.equal(response.headers.get('tus-version'), '1.0.0');
      assert.match(((await response.json()) as { message: string }).message, /Tus-Resumable: 1\.0\.0/);
    }
    assert.deepEqual(await server.uploadDirs(), before);
  });

  test('bad creation headers are refused with 400 (or 413 over the size limit), and create nothing', async () => {
    const before = await server.uploadDirs();
    const path = metadataHeader({ path: 'files/x.bin' });
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{ 'upload-metadata': path }, 400, /Upload-Length header is missing/],
      [{ 'upload-length': 'abc', 'upload-metadata': path }, 400, /not a whole number/],
      [{ 'upload-length': '-1', 'upload-metadata': path }, 400, /not a whole number/],
      [{ 'upload-length': '1e3', 'upload-metadata': path }, 400, /not a whole number/],
      [{ 'upload-defer-length': '1', 'upload-metadata': path }, 400, /Upload-Defer-Length is not supported/],
      [{ 'upload-length': String(MAX_UPLOAD + 1), 'upload-metadata': path }, 413, /at most 8388608 bytes/],
      [{ 'upload-length': '5' }, 400, /needs "path"/],
      [{ 'upload-length': '5', 'upload-metadata': metadataHeader({ path: 'x.bin' }) }, 400, /must name a folder and a file/],
      [{ 'upload-length': '5', 'upload-metadata': metadataHeader({ path: 'files/../x.bin' }) }, 400, /"\.\." is reserved/],
      [{ 'upload-length': '5', 'upload-metadata': metadataHeader({ path: 'files//x.bin' }) }, 400, /is empty/],
      [{ 'upload-length': '5', 'upload-metadata': metadataHeader({ path: 'files/a\u0000b' }) }, 400, /control character U\+0000/],
      [{ 'upload-length': '5', 'upload-metadata': `path ${Buffer.from([0x66, 0x2f, 0xff, 0xfe]).toString('base64')}` }, 400, /not valid UTF-8/],
      [{ 'upload-length': '5', 'upload-metadata': 'path files/x.bin' }, 400, /not base64/],
      [{ 'upload-length': '5', 'upload-metadata': `${path},${path}` }, 400, /names "path" twice/],
      [{ 'upload-length': '5', 'upload-metadata': metadataHeader({ path: 'files/x.bin', sha256: 'AB'.repeat(32) }) }, 400, /64 lowercase hex/],
      [{ 'upload-length': '5', 'upload-metadata': metadataHeader({ path: 'files/x.bin', contentType: 'not a type' }) }, 400, /not a media type/],
    ];
    for (const [headers, status, message] of cases) {
      const response = await post(headers);
      const body = (await response.json()) as { message: string };
      assert.equal(response.status, status, `${JSON.stringify(headers)}: ${body.message}`);
      assert.match(body.message, message);
    }
    assert.deepEqual(await server.uploadDirs(), before);
  });

  test('bad PATCH headers are refused before any byte is written', async () => {
    const { url } = await createUpload(server, 'alice', 10, { path: 'files/patch.bin' });
    const bytes = Buffer.from('0123456789');
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{ 'upload-offset': '' }, 400, /Upload-Offset header "" is not a whole number/],
      [{ 'upload-offset': 'x' }, 400, /not a whole number/],
      [{ 'content-type': 'application/octet-stream' }, 415, /application\/offset\+octet-stream/],
      [{ 'upload-checksum': 'md5 AAAA' }, 400, /"md5" is not supported/],
      [{ 'upload-checksum': 'sha1 not-base64!' }, 400, /not 20 bytes of base64/],
      [{ 'upload-checksum': 'sha256' }, 400, /not "<algorithm> <base64 digest>"/],
      [{ 'upload-offset': '3' }, 409, /at byte 0, not 3/],
    ];
    for (const [headers, status, message] of cases) {
      const response = await patch(url, server.auth.alice, 0, bytes, headers);
      const body = (await response.json()) as { message: string };
      assert.equal(response.status, status, `${JSON.stringify(headers)}: ${body.message}`);
      assert.match(body.message, message);
      assert.equal(response.headers.get('tus-resumable'), '1.0.0');
    }
    const tooMany = await patch(url, server.auth.alice, 0, Buffer.alloc(11));
    assert.equal(tooMany.status, 413);
    assert.equal((await head(url, server.auth.alice)).headers.get('upload-offset'), '0');
    assert.equal((await fetch(url, { method: 'DELETE', headers: { ...TUS, authorization: server.auth.alice } })).status, 204);
  });

  test('a chunk whose Upload-Checksum does not match is answered 460 and discarded; matching sha1 and sha256 chunks are kept', async () => {
    const file = randomBytes(3000);
    const { url } = await createUpload(server, 'alice', file.length, { path: 'files/checked.bin' });
    const first = file.subarray(0, 1000);
    const wrong = await patch(url, server.auth.alice, 0, first, { 'upload-checksum': `sha1 ${digest('sha1', Buffer.from('other')).toString('base64')}` });
    assert.equal(wrong.status, 460);
    assert.match(((await wrong.json()) as { message: string }).message, /do not match its Upload-Checksum; they were discarded/);
    assert.equal((await head(url, server.auth.alice)).headers.get('upload-offset'), '0');

    const right = await patch(url, server.auth.alice, 0, first, { 'upload-checksum': `sha1 ${digest('sha1', first).toString('base64')}` });
    assert.equal(right.status, 204);
    assert.equal(right.headers.get('upload-offset'), '1000');
    const rest = file.subarray(1000);
    const last = await patch(url, server.auth.alice, 1000, rest, { 'upload-checksum': `sha256 ${digest('sha256', rest).toString('base64')}` });
    assert.equal(last.status, 204);
    assert.ok((await davGet(server, 'alice', 'files/checked.bin')).body.equals(file));
  });

  test('a file that does not match its whole-file sha256 is refused with 460 and nothing is stored', async () => {
    const file = randomBytes(100 * 1024);
    const { url } = await createUpload(server, 'alice', file.length, { path: 'files/wrong.bin', sha256: sha256(Buffer.from('something else')) });
    assert.equal((await patch(url, server.auth.alice, 0, file.subarray(0, 50 * 1024))).status, 204);
    const last = await patch(url, server.auth.alice, 50 * 1024, file.subarray(50 * 1024));
    assert.equal(last.status, 460);
    assert.match(((await last.json()) as { message: string }).message, new RegExp(`SHA-256 is ${sha256(file)}.*nothing was stored`));
    assert.equal((await davGet(server, 'alice', 'files/wrong.bin')).status, 404);
    assert.equal(await server.store.forUser(server.userIds.alice).getItem('files', 'wrong.bin'), null);
    assert.equal((await head(url, server.auth.alice)).status, 404);
    assert.deepEqual(await server.store.forUser(server.userIds.alice).hasContent([sha256(file)]), new Set());
  });

  test('a file that matches its whole-file sha256 is stored with that hash, in one request with creation-with-upload', async () => {
    const file = randomBytes(70 * 1024);
    const response = await post(
      {
        'upload-length': String(file.length),
        'upload-metadata': metadataHeader({ path: 'files/at-once.bin', sha256: sha256(file) }),
        'content-type': 'application/offset+octet-stream',
      },
      file,
    );
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('upload-offset'), String(file.length));
    const item = await server.store.forUser(server.userIds.alice).getItem('files', 'at-once.bin');
    assert.equal(item?.head.contentHash, sha256(file));
    assert.equal(item?.head.author, 'tus');
  });

  test('one PATCH may carry more than maxBodyBytes: an upload is limited by maxUploadBytes alone', async () => {
    const file = randomBytes(3 * 1024 * 1024);
    const { url } = await createUpload(server, 'alice', file.length, { path: 'files/one-go.bin', sha256: sha256(file) });
    const response = await patch(url, server.auth.alice, 0, file);
    assert.equal(response.status, 204);
    assert.ok((await davGet(server, 'alice', 'files/one-go.bin')).body.equals(file));
  });

  test('a stored upload still answers that it is complete, for a client that lost the final answer, until it expires', async () => {
    const { url } = await createUpload(server, 'alice', 4, { path: 'files/remembered.bin' });
    assert.equal((await patch(url, server.auth.alice, 0, Buffer.from('abcd'))).status, 204);
    const state = await head(url, server.auth.alice);
    assert.equal(state.status, 200);
    assert.equal(state.headers.get('upload-offset'), '4');
    const repeated = await patch(url, server.auth.alice, 4, Buffer.alloc(0));
    assert.equal(repeated.status, 204);
    assert.equal(repeated.headers.get('upload-offset'), '4');
    const stale = await patch(url, server.auth.alice, 0, Buffer.from('abcd'));
    assert.equal(stale.status, 409);
    assert.equal(stale.headers.get('upload-offset'), '4');
    assert.equal((await patch(url, server.auth.alice, 4, Buffer.from('e'))).status, 413);
    const history = await server.store.forUser(server.userIds.alice).history('files', 'remembered.bin');
    assert.equal(history?.length, 1);
    assert.equal((await davGet(server, 'alice', 'files/remembered.bin')).body.toString(), 'abcd');
  });

  test('an empty file is stored at creation', async () => {
    const { response } = await createUpload(server, 'alice', 0, { path: 'files/empty.txt' });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('upload-offset'), '0');
    const stored = await davGet(server, 'alice', 'files/empty.txt');
    assert.equal(stored.status, 200);
    assert.equal(stored.body.length, 0);
  });

  test('termination (DELETE) removes the upload and its bytes', async () => {
    const { url } = await createUpload(server, 'alice', 10, { path: 'files/terminated.bin' });
    assert.equal((await patch(url, server.auth.alice, 0, Buffer.from('01234'))).status, 204);
    const id = new URL(url).pathname.split('/').at(-1) ?? '';
    assert.ok((await server.uploadDirs()).includes(id));
    const response = await fetch(url, { method: 'DELETE', headers: { ...TUS, authorization: server.auth.alice } });
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('tus-resumable'), '1.0.0');
    assert.equal((await head(url, server.auth.alice)).status, 404);
    assert.equal((await patch(url, server.auth.alice, 5, Buffer.from('56789'))).status, 404);
    assert.ok(!(await server.uploadDirs()).includes(id));
    assert.equal((await davGet(server, 'alice', 'files/terminated.bin')).status, 404);
  });

  test('an upload idle past its expiry answers 410 and is removed; every accepted chunk pushes the expiry back', async () => {
    const idle = await createUpload(server, 'alice', 10, { path: 'files/idle.bin' });
    const busy = await createUpload(server, 'alice', 10, { path: 'files/busy.bin' });
    const swept = await createUpload(server, 'alice', 10, { path: 'files/swept.bin' });
    const sweptId = new URL(swept.url).pathname.split('/').at(-1) ?? '';
    server.advanceClock(23 * HOUR);
    const chunk = await patch(busy.url, server.auth.alice, 0, Buffer.from('01234'));
    assert.equal(chunk.headers.get('upload-expires'), new Date(Date.parse('2026-06-01T12:00:00Z') + 47 * HOUR).toUTCString());
    server.advanceClock(2 * HOUR);

    const expired = await head(idle.url, server.auth.alice);
    assert.equal(expired.status, 410);
    assert.equal((await head(idle.url, server.auth.alice)).status, 404, 'an expired upload is removed once seen');
    assert.equal((await head(busy.url, server.auth.alice)).status, 200);
    // Creating an upload sweeps the expired ones nobody asked about.
    assert.ok((await server.uploadDirs()).includes(sweptId));
    await createUpload(server, 'alice', 1, { path: 'files/trigger.bin' });
    assert.ok(!(await server.uploadDirs()).includes(sweptId));
    assert.equal((await patch(busy.url, server.auth.alice, 5, Buffer.from('56789'))).status, 204);
  });

  test("another user's upload does not exist for them (404), and stays untouched", async () => {
    const { url } = await createUpload(server, 'alice', 10, { path: 'files/private.bin' });
    assert.equal((await patch(url, server.auth.alice, 0, Buffer.from('01234'))).status, 204);
    assert.equal((await head(url, server.auth.bob)).status, 404);
    assert.equal((await patch(url, server.auth.bob, 5, Buffer.from('56789'))).status, 404);
    assert.equal((await fetch(url, { method: 'DELETE', headers: { ...TUS, authorization: server.auth.bob } })).status, 404);
    assert.equal((await head(url, server.auth.alice)).headers.get('upload-offset'), '5');
    assert.equal((await fetch(`${uploadsUrl()}/${'0'.repeat(32)}`, { method: 'HEAD', headers: { ...TUS, authorization: server.auth.alice } })).status, 404);
    assert.equal((await fetch(`${uploadsUrl()}/..%2F..%2Fetc`, { method: 'HEAD', headers: { ...TUS, authorization: server.auth.alice } })).status, 404);
  });

  test('every request but OPTIONS needs sign-in, and the 401 carries Tus-Resumable', async () => {
    const response = await fetch(uploadsUrl(), { method: 'POST', headers: { ...TUS, 'upload-length': '1', 'upload-metadata': metadataHeader({ path: 'files/x' }) } });
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('tus-resumable'), '1.0.0');
    assert.equal(((await response.json()) as { error: string }).error, 'unauthenticated');
  });

  test('an upload lands only in a files folder: a missing top folder or an address book is refused with 409; missing subfolders are made', async () => {
    const noTop = await createUpload(server, 'alice', 1, { path: 'photos/x.jpg' });
    assert.equal(noTop.response.status, 409);
    assert.match(((await noTop.response.json()) as { message: string }).message, /You have no folder "photos"/);
    const book = await createUpload(server, 'alice', 1, { path: 'contacts/x.vcf' });
    assert.equal(book.response.status, 409);
    assert.match(((await book.response.json()) as { message: string }).message, /"contacts" is an address book, not a files folder/);
    assert.equal((await createUpload(server, 'alice', 0, { path: 'files/Camera/x' })).response.status, 201);
    const folder = await createUpload(server, 'alice', 1, { path: 'files/Camera' });
    assert.equal(folder.response.status, 409);
    assert.match(((await folder.response.json()) as { message: string }).message, /"files\/Camera" is a folder/);

    const { url } = await createUpload(server, 'alice', 3, { path: 'files/2026/06/new.bin' });
    const user = server.store.forUser(server.userIds.alice);
    assert.equal(await user.getCollection('files/2026'), null, 'folders are made only when the upload finishes');
    assert.equal((await patch(url, server.auth.alice, 0, Buffer.from('abc'))).status, 204);
    assert.equal((await user.getCollection('files/2026/06'))?.kind, 'files');
    assert.equal((await davGet(server, 'alice', 'files/2026/06/new.bin')).body.toString(), 'abc');
  });

  test('a files folder deleted while the bytes arrive is refused with 409, and the upload asks for its last byte again', async () => {
    const bob = server.store.forUser(server.userIds.bob);
    const { url } = await createUpload(server, 'bob', 4, { path: 'files/late.bin' });
    assert.equal((await bob.deleteCollection('files')).kind, 'changed');
    const refused = await patch(url, server.auth.bob, 0, Buffer.from('abcd'));
    assert.equal(refused.status, 409);
    assert.match(((await refused.json()) as { message: string }).message, /no folder "files".*resume the upload/);
    assert.equal((await head(url, server.auth.bob)).headers.get('upload-offset'), '3');
    assert.equal((await bob.createCollection({ name: 'files', kind: 'files' })).kind, 'created');
    assert.equal((await patch(url, server.auth.bob, 3, Buffer.from('d'))).status, 204);
    assert.equal((await davGet(server, 'bob', 'files/late.bin')).body.toString(), 'abcd');
  });

  test('a file that would pass the quota is refused with 507 and stores nothing; after the quota is raised, resuming stores it', async () => {
    const bob = server.store.forUser(server.userIds.bob);
    const used = (await bob.usage()).usedBytes;
    assert.equal(await server.store.accounts.setQuota(server.userIds.bob, used + 10), true);
    try {
      const { url } = await createUpload(server, 'bob', 64, { path: 'files/over-quota.bin' });
      const refused = await patch(url, server.auth.bob, 0, Buffer.alloc(64, 7));
      assert.equal(refused.status, 507);
      assert.match(((await refused.json()) as { message: string }).message, /over your quota.*resume it/);
      assert.equal(await bob.getItem('files', 'over-quota.bin'), null);
      assert.equal((await head(url, server.auth.bob)).headers.get('upload-offset'), '63');
      assert.equal(await server.store.accounts.setQuota(server.userIds.bob, null), true);
      assert.equal((await patch(url, server.auth.bob, 63, Buffer.alloc(1, 7))).status, 204);
      assert.deepEqual((await davGet(server, 'bob', 'files/over-quota.bin')).body, Buffer.alloc(64, 7));
    } finally {
      await server.store.accounts.setQuota(server.userIds.bob, null);
    }
  });

  test('a second PATCH while one is still sending is answered 423 and does not disturb it', async () => {
    const { url } = await createUpload(server, 'alice', 10, { path: 'files/locked.bin' });
    const target = new URL(url);
    let slow: ClientRequest | undefined;
    const slowAnswer = new Promise<number>((resolve, reject) => {
      slow = httpRequest(
        { host: target.hostname, port: target.port, path: target.pathname, method: 'PATCH', headers: { ...TUS, authorization: server.auth.alice, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'content-length': '10' } },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      slow.on('error', reject);
    });
    await new Promise<void>((resolve) => slow?.write('01234', () => resolve()));
    // The first PATCH holds the upload once its bytes reach the data file (before they are
    // promised, so only the file shows it).
    const data = join(server.dataDir, 'uploads', target.pathname.split('/').at(-1) ?? '', 'data');
    for (let attempt = 0; attempt < 200 && (await stat(data)).size < 5; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const second = await patch(url, server.auth.alice, 0, Buffer.from('0123456789'));
    assert.equal(second.status, 423);
    assert.match(((await second.json()) as { message: string }).message, /Another request is writing to this upload/);
    slow?.end('56789');
    assert.equal(await slowAnswer, 204);
    assert.equal((await davGet(server, 'alice', 'files/locked.bin')).body.toString(), '0123456789');
  });

  test(`a user may hold at most ${MAX_UNFINISHED_UPLOADS} unfinished uploads; the next is refused with 403`, async () => {
    const existing = (await server.unfinishedUploads(server.userIds.alice)).length;
    for (let i = existing; i < MAX_UNFINISHED_UPLOADS; i += 1) {
      assert.equal((await createUpload(server, 'alice', 10, { path: `files/many-${i}.bin` })).response.status, 201);
    }
    const refused = await createUpload(server, 'alice', 10, { path: 'files/one-too-many.bin' });
    assert.equal(refused.response.status, 403);
    assert.match(((await refused.response.json()) as { message: string }).message, /terminate \(DELETE\)/);
    assert.equal((await createUpload(server, 'bob', 10, { path: 'files/bob.bin' })).response.status, 201, 'the limit is per user');
  });
});
