// Resuming interrupted uploads with the real tus-js-client in Node, against a real server:
// what tus is for. Each test checks the stored file byte for byte through WebDAV, and that
// the resumed upload did not send the file again from the start.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Upload, type UploadOptions } from 'tus-js-client';
import { TUS, createUpload, davGet, head, patch, startUploadServer, type UploadServer } from './upload-server.ts';

const MiB = 1024 * 1024;

interface Run {
  /** Upload-Offset of every PATCH the client sent. */
  patchOffsets: number[];
  url: string | null;
}

/** Runs a tus-js-client upload to success, or until `stopAfterChunks` chunks were accepted. */
function runUpload(file: Buffer, options: UploadOptions, stopAfterChunks?: number): Promise<Run> {
  const run: Run = { patchOffsets: [], url: null };
  return new Promise((resolve, reject) => {
    let chunks = 0;
    const upload: Upload = new Upload(file, {
      chunkSize: MiB,
      retryDelays: null,
      storeFingerprintForResuming: false,
      ...options,
      onBeforeRequest(request) {
        if (request.getMethod() === 'PATCH') run.patchOffsets.push(Number(request.getHeader('Upload-Offset')));
      },
      onChunkComplete() {
        chunks += 1;
        if (chunks === stopAfterChunks) {
          run.url = upload.url;
          upload.abort().then(() => resolve(run), reject);
        }
      },
      onSuccess() {
        run.url = upload.url;
        resolve(run);
      },
      onError: reject,
    });
    upload.start();
  });
}

/** Sends a PATCH that announces the whole file but stops after `arrived` bytes. */
function cutOffPatch(uploadUrl: string, authorization: string, file: Buffer, arrived: number, headers: Record<string, string> = {}): Promise<void> {
  return new Promise<void>((resolve) => {
    const url = new URL(uploadUrl);
    const request = httpRequest({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'PATCH',
      headers: { ...TUS, authorization, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0', 'content-length': String(file.length), ...headers },
    });
    request.on('error', () => resolve());
    request.write(file.subarray(0, arrived), () => {
      request.destroy();
      resolve();
    });
  });
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('resuming an interrupted tus upload', () => {
  let server: UploadServer;
  before(async () => {
    server = await startUploadServer();
  });
  after(async () => {
    await server.close();
  });

  const clientOptions = (name: string, file: Buffer): UploadOptions => ({
    endpoint: `${server.url}/api/v1/uploads`,
    headers: { authorization: server.auth.alice },
    metadata: { path: `files/Camera/${name}`, contentType: 'image/heic', sha256: sha256(file) },
  });

  test('an upload stopped after two chunks resumes from the offset HEAD reports, without re-sending the first bytes', async () => {
    const file = randomBytes(5 * MiB);
    const first = await runUpload(file, clientOptions('IMG_0001.HEIC', file), 2);
    assert.deepEqual(first.patchOffsets, [0, MiB]);
    assert.ok(first.url);

    const state = await head(first.url, server.auth.alice);
    assert.equal(state.status, 200);
    assert.equal(state.headers.get('upload-offset'), String(2 * MiB));
    assert.equal(state.headers.get('upload-length'), String(5 * MiB));
    assert.equal(state.headers.get('cache-control'), 'no-store');
    assert.equal((await davGet(server, 'alice', 'files/Camera/IMG_0001.HEIC')).status, 404, 'nothing is stored before the last byte');

    const resumed = await runUpload(file, { ...clientOptions('IMG_0001.HEIC', file), uploadUrl: first.url });
    assert.deepEqual(resumed.patchOffsets, [2 * MiB, 3 * MiB, 4 * MiB]);

    const stored = await davGet(server, 'alice', 'files/Camera/IMG_0001.HEIC');
    assert.equal(stored.status, 200);
    assert.equal(stored.type, 'image/heic');
    assert.ok(stored.body.equals(file), 'the stored file is byte-identical');
    const id = new URL(first.url).pathname.split('/').at(-1) ?? '';
    await assert.rejects(stat(join(server.dataDir, 'uploads', id, 'data')), /ENOENT/, 'the bytes of a stored upload are dropped');

    // A phone that lost the final answer asks again, learns the file is complete, and sends nothing.
    const finished = await head(first.url, server.auth.alice);
    assert.equal(finished.status, 200);
    assert.equal(finished.headers.get('upload-offset'), String(5 * MiB));
    const again = await runUpload(file, { ...clientOptions('IMG_0001.HEIC', file), uploadUrl: first.url });
    assert.deepEqual(again.patchOffsets, []);
    const history = await server.store.forUser(server.userIds.alice).history('files/Camera', 'IMG_0001.HEIC');
    assert.equal(history?.length, 1, 'the file was stored once');
  });

  test('a PATCH cut off in the middle of its body keeps the bytes that arrived, and the rest completes the file', async () => {
    const file = randomBytes(2 * MiB);
    const created = await createUpload(server, 'alice', file.length, { path: 'files/cut.bin' });
    assert.equal(created.response.status, 201);
    const arrived = 300 * 1024;

    await cutOffPatch(created.url, server.auth.alice, file, arrived);

    // The server notices the cut asynchronously; its durable offset then reaches exactly
    // the bytes that were sent.
    let offset = -1;
    for (let attempt = 0; attempt < 200 && offset !== arrived; attempt += 1) {
      offset = Number((await head(created.url, server.auth.alice)).headers.get('upload-offset'));
      if (offset !== arrived) await new Promise((resolve) => setTimeout(resolve, 25));
    }
    assert.equal(offset, arrived);

    const rest = await patch(created.url, server.auth.alice, arrived, file.subarray(arrived));
    assert.equal(rest.status, 204);
    assert.equal(rest.headers.get('upload-offset'), String(file.length));
    assert.ok((await davGet(server, 'alice', 'files/cut.bin')).body.equals(file));
  });

  test('a cut-off PATCH that carried Upload-Checksum keeps nothing: its bytes cannot be verified', async () => {
    const file = randomBytes(MiB);
    const created = await createUpload(server, 'alice', file.length, { path: 'files/cut-checked.bin' });
    const id = new URL(created.url).pathname.split('/').at(-1) ?? '';
    await cutOffPatch(created.url, server.auth.alice, file, 200 * 1024, { 'upload-checksum': `sha256 ${createHash('sha256').update(file).digest('base64')}` });
    const logged = () => server.logs.find((line) => line.includes('upload request cut off') && line.includes(id));
    for (let attempt = 0; attempt < 200 && !logged(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    assert.match(logged() ?? '', /"kept":0/);
    assert.equal((await head(created.url, server.auth.alice)).headers.get('upload-offset'), '0');
  });

  test('an upload survives a server restart between chunks; bytes written but never acknowledged are dropped', async () => {
    const file = randomBytes(5 * MiB);
    const first = await runUpload(file, clientOptions('IMG_0002.HEIC', file), 3);
    assert.ok(first.url);
    const id = new URL(first.url).pathname.split('/').at(-1) ?? '';
    // What a crash can leave: bytes past the promised offset, written but never answered for.
    await appendFile(join(server.dataDir, 'uploads', id, 'data'), randomBytes(12345));

    await server.restart();
    const moved = `${server.url}/api/v1/uploads/${id}`;
    const state = await head(moved, server.auth.alice);
    assert.equal(state.headers.get('upload-offset'), String(3 * MiB));

    const resumed = await runUpload(file, { ...clientOptions('IMG_0002.HEIC', file), uploadUrl: moved });
    assert.deepEqual(resumed.patchOffsets, [3 * MiB, 4 * MiB]);
    const stored = await davGet(server, 'alice', 'files/Camera/IMG_0002.HEIC');
    assert.ok(stored.body.equals(file), 'the stored file is byte-identical');
    assert.ok(!(await server.unfinishedUploads(server.userIds.alice)).includes(id));
    await assert.rejects(stat(join(server.dataDir, 'uploads', id, 'data')), /ENOENT/);
  });
  test('a restart clears what interrupted creations and removals left, and an upload whose state cannot be read', async () => {
    const uploads = join(server.dataDir, 'uploads');
    await mkdir(join(uploads, '.creating-0123456789abcdef0123456789abcdef'));
    await mkdir(join(uploads, '.removing-0123456789abcdef0123456789abcdef'));
    const broken = 'fedcba9876543210fedcba9876543210';
    await mkdir(join(uploads, broken));
    await writeFile(join(uploads, broken, 'state.json'), '{"format":"holdfast-upload","vers');
    await writeFile(join(uploads, broken, 'data'), 'partial');
    const kept = await createUpload(server, 'alice', 10, { path: 'files/kept.bin' });
    assert.equal((await patch(kept.url, server.auth.alice, 0, Buffer.from('01234'))).status, 204);
    const keptId = new URL(kept.url).pathname.split('/').at(-1) ?? '';

    await server.restart();
    const left = await server.uploadDirs();
    assert.ok(left.includes(keptId));
    assert.ok(!left.some((entry) => entry.startsWith('.') || entry === broken), left.join(', '));
    assert.ok(server.logs.some((line) => line.includes(`${broken} has an unreadable state`)));
    const resumed = `${server.url}/api/v1/uploads/${keptId}`;
    assert.equal((await head(resumed, server.auth.alice)).headers.get('upload-offset'), '5');
    assert.equal((await patch(resumed, server.auth.alice, 5, Buffer.from('56789'))).status, 204);
    assert.equal((await davGet(server, 'alice', 'files/kept.bin')).body.toString(), '0123456789');
  });
});
