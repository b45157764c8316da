// Bad input on the file tree: every refusal is a clear 4xx in a DAV error body, and
// nothing changes: no item, no revision, no blob, no temporary file. A PUT whose client
// goes away halfway is one such refusal.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { UserStore } from '../../src/store/store.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest } from './dav-client.ts';

const FILES = '/dav/alice/files';

/** Every file under the blob directory, by path relative to it (tmp/ included). */
async function blobFiles(server: Harness): Promise<string[]> {
  const root = join(server.dataDir, 'blobs');
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1))
    .sort();
}

/** What a failed request must leave as it was: the store's sequence and the blob files. */
async function snapshot(server: Harness): Promise<{ sequence: number; blobs: string[] }> {
  return { sequence: (await server.store.identity()).sequence, blobs: await blobFiles(server) };
}

/** Sends a request as raw bytes, for URLs that fetch would normalise or refuse to send. */
function rawRequest(server: Harness, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; contentType: string; body: string }> {
  const { port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      const contentType = /^content-type: (.*)$/im.exec(head)?.[1]?.trim() ?? '';
      resolve({ status, contentType, body });
    });
    const lines = [`${method} ${path} HTTP/1.1`, `host: 127.0.0.1:${port}`, `authorization: ${server.appPassword.alice}`, 'connection: close', 'content-length: 5'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    socket.end(`${lines.join('\r\n')}\r\n\r\nhello`);
  });
}

describe('bad input on the file tree', () => {
  let server: Harness;
  let files: UserStore;
  before(async () => {
    server = await startHarness({ config: { logLevel: 'warn' } });
    const user = await server.store.accounts.getUserByName('alice');
    assert.ok(user);
    files = server.store.forUser(user.id);
    // Every user starts with a files folder (src/store/default-collections.ts).
    assert.equal((await files.getCollection('files'))?.kind, 'files');
    assert.equal((await files.createCollection({ name: 'photos', kind: 'files', parent: 'files' })).kind, 'created');
    assert.equal((await davRequest(server, 'PUT', `${FILES}/photos/a.jpg`, { body: 'not really a jpeg' })).status, 201);
  });
  after(() => server.close());

  const refusals: Array<[string, string, RegExp]> = [
    ['a ".." segment', `${FILES}/../contacts/x.vcf`, /"\.\." is reserved/],
    ['a ".." segment in the middle', `${FILES}/photos/../b.jpg`, /"\.\." is reserved/],
    ['a percent-encoded ".."', `${FILES}/%2e%2e/b.jpg`, /"%2e%2e" in the URL is not usable: "\.\." is reserved/],
    ['a NUL byte (%00)', `${FILES}/a%00b.jpg`, /"a%00b\.jpg" in the URL is not usable: it contains the control character U\+0000/],
    ['a control character (%0A)', `${FILES}/a%0Ab.jpg`, /it contains the control character U\+000A/],
    ['an escape that is not UTF-8 (%FF)', `${FILES}/%FF.jpg`, /is not valid percent-encoded UTF-8/],
    ['a "%" without two hex digits', `${FILES}/100%.jpg`, /every "%" must start an escape such as %20.*Write a literal "%" as %25/],
    ['a "%" followed by non-hex', `${FILES}/a%zz.jpg`, /is not valid percent-encoded UTF-8/],
  ];
  for (const [what, path, message] of refusals) {
    test(`a PUT to a URL with ${what} answers 400 in a DAV error body and stores nothing`, async () => {
      const before = await snapshot(server);
      const response = await rawRequest(server, 'PUT', path);
      assert.equal(response.status, 400, response.body);
      assert.match(response.contentType, /^application\/xml/);
      assert.match(response.body, /<d:error xmlns:d="DAV:"/);
      assert.match(response.body, message);
      assert.deepEqual(await snapshot(server), before);
    });
  }

  test('a malformed escape elsewhere (the JSON API) still answers the API\'s JSON error', async () => {
    const response = await rawRequest(server, 'GET', '/api/v1/collections/%zz');
    assert.equal(response.status, 400);
    assert.match(response.contentType, /^application\/json/);
    assert.equal((JSON.parse(response.body) as { error: string }).error, 'bad-request');
  });

  const moves: Array<[string, string, string, string, number, RegExp]> = [
    ['MOVE', 'a folder onto itself', `${FILES}/photos/`, `${FILES}/photos/`, 403, /are the same resource/],
    ['COPY', 'a folder onto itself', `${FILES}/photos/`, `${FILES}/photos/`, 403, /are the same resource/],
    ['MOVE', 'a folder into its own subfolder', `${FILES}/photos/`, `${FILES}/photos/2024/`, 403, /cannot be copied or moved into itself/],
    ['COPY', 'a folder into its own subfolder', `${FILES}/photos/`, `${FILES}/photos/2024/`, 403, /cannot be copied or moved into itself/],
    ['MOVE', 'a folder onto the folder that holds it', `${FILES}/photos/`, `${FILES}/`, 403, /The Destination holds the source/],
    ['MOVE', 'a file onto itself', `${FILES}/photos/a.jpg`, `${FILES}/photos/a.jpg`, 403, /are the same resource/],
    ['COPY', 'a file onto itself', `${FILES}/photos/a.jpg`, `${FILES}/photos/a.jpg`, 403, /are the same resource/],
    ['MOVE', 'a file under itself', `${FILES}/photos/a.jpg`, `${FILES}/photos/a.jpg/b.jpg`, 409, /does not exist; create it first/],
  ];
  for (const [method, what, from, to, status, message] of moves) {
    test(`${method} of ${what} answers ${status} and changes nothing`, async () => {
      const before = await snapshot(server);
      const response = await davRequest(server, method, from, { headers: { destination: to } });
      assert.equal(response.status, status);
      assert.match(await response.text(), message);
      assert.deepEqual(await snapshot(server), before);
      assert.ok(await files.getCollection('files/photos'));
      assert.equal((await files.getItem('files/photos', 'a.jpg'))?.deleted, false);
    });
  }

  for (const [how, cut, name] of [
    ['destroys its socket', (socket: Socket) => socket.destroy(), 'cut-by-destroy.mov'],
    ['closes its side of the connection', (socket: Socket) => socket.end(), 'cut-by-end.mov'],
  ] as const) {
  test(`a PUT cut off halfway (the client ${how}) leaves no item, no revision, no blob and no temporary file`, async () => {
    const before = await snapshot(server);
    const declared = 4 * 1024 * 1024;
    const { port } = new URL(server.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.on('error', () => undefined);
    socket.write(
      [`PUT ${FILES}/photos/${name} HTTP/1.1`, `host: 127.0.0.1:${port}`, `authorization: ${server.appPassword.alice}`, 'content-type: video/quicktime', `content-length: ${declared}`].join('\r\n') +
        '\r\n\r\n',
    );
    const half = Buffer.alloc(declared / 2, 0x5a);
    await new Promise<void>((resolve) => socket.write(half, () => resolve()));
    // The server is streaming it into a temporary file before the client goes away.
    const tmp = join(server.dataDir, 'blobs', 'tmp');
    for (let waited = 0; (await readdir(tmp)).length === 0; waited += 10) {
      assert.ok(waited < 10_000, 'the server never started writing the upload');
      await sleep(10);
    }
    cut(socket);
    for (let waited = 0; (await readdir(tmp)).length > 0; waited += 10) {
      assert.ok(waited < 10_000, `the temporary file of the cut-off upload is still there: ${(await readdir(tmp)).join(', ')}`);
      await sleep(10);
    }
    assert.equal(await files.getItem('files/photos', name), null);
    assert.deepEqual(await snapshot(server), before);
    assert.deepEqual(await files.changesSince({ after: before.sequence }), []);
    // The server is still well: the same upload sent whole is stored.
    const whole = Buffer.alloc(declared, 0x5a);
    assert.equal((await davRequest(server, 'PUT', `${FILES}/photos/${name}`, { body: whole })).status, 201);
    assert.equal((await davRequest(server, 'DELETE', `${FILES}/photos/${name}`)).status, 204);
  });
  }
});
