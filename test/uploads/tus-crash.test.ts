// A server killed (SIGKILL) while a PATCH is streaming into an upload: after a new start on
// the same data directory, HEAD reports every acknowledged byte and none that was not, and
// the upload resumes from there into a byte-identical file.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { BIN, environment, openExisting, temporaryDirectory } from '../cli/holdfast-process.ts';
import { basic } from '../server/harness.ts';
import { TUS, metadataHeader, patch } from './upload-server.ts';

const MiB = 1024 * 1024;
let temporary: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
let authorization: string;
let server: ChildProcess | null = null;

async function serve(): Promise<string> {
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dataDir, '--port', '0'], { env: environment(), stdio: ['ignore', 'pipe', 'pipe'] });
  server = child;
  child.stderr?.resume();
  return new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const url = /"url":"(http:\/\/[^"]+)"/.exec(output)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.on('exit', (code) => reject(new Error(`holdfast serve exited with ${code}: ${output}`)));
  });
}

async function kill(): Promise<void> {
  const child = server;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

before(async () => {
  temporary = await temporaryDirectory();
  dataDir = join(temporary.dir, 'data');
  const store = await openExisting(dataDir, { initialize: true });
  const accounts = createAccounts(store.accounts);
  const added = await accounts.addUser('anna', 'a long enough passphrase');
  const password = await accounts.createAppPassword('anna', 'phone');
  if (added.kind !== 'created' || password.kind !== 'created') throw new Error('cannot set up anna');
  await store.close();
  authorization = basic('anna', password.secret);
});

after(async () => {
  await kill();
  await temporary.cleanup();
});

test('after a SIGKILL in the middle of a PATCH, the upload resumes from its last acknowledged byte', async () => {
  const file = randomBytes(8 * MiB);
  let url = await serve();
  const created = await fetch(`${url}/api/v1/uploads`, {
    method: 'POST',
    headers: { ...TUS, authorization, 'upload-length': String(file.length), 'upload-metadata': metadataHeader({ path: 'files/video.mp4', contentType: 'video/mp4' }) },
  });
  assert.equal(created.status, 201);
  const path = created.headers.get('location') ?? '';
  const id = path.split('/').at(-1) ?? '';
  for (const offset of [0, 2 * MiB]) assert.equal((await patch(`${url}${path}`, authorization, offset, file.subarray(offset, offset + 2 * MiB))).status, 204);

  // A third PATCH sends half its bytes; once they are in the upload's data file (written,
  // not yet acknowledged), the server is killed.
  const target = new URL(`${url}${path}`);
  const streaming = httpRequest({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'PATCH',
    headers: { ...TUS, authorization, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(4 * MiB), 'content-length': String(2 * MiB) },
  });
  streaming.on('error', () => undefined);
  streaming.write(file.subarray(4 * MiB, 5 * MiB));
  const data = join(dataDir, 'uploads', id, 'data');
  for (let attempt = 0; attempt < 1000 && (await stat(data)).size < 5 * MiB; attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal((await stat(data)).size, 5 * MiB, 'the unacknowledged bytes reached the data file before the kill');
  await kill();
  streaming.destroy();

  url = await serve();
  const state = await fetch(`${url}${path}`, { method: 'HEAD', headers: { ...TUS, authorization } });
  assert.equal(state.status, 200);
  assert.equal(state.headers.get('upload-offset'), String(4 * MiB), 'every acknowledged byte, and none that was not');
  assert.equal((await stat(data)).size, 4 * MiB, 'bytes past the acknowledged offset were cut off');

  for (const offset of [4 * MiB, 6 * MiB]) assert.equal((await patch(`${url}${path}`, authorization, offset, file.subarray(offset, offset + 2 * MiB))).status, 204);
  const stored = await fetch(`${url}/dav/anna/files/video.mp4`, { headers: { authorization } });
  assert.equal(stored.status, 200);
  assert.ok(Buffer.from(await stored.arrayBuffer()).equals(file), 'the stored file is byte-identical');
});
