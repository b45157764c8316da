// Quotas seen by a client, against a real server: RFC 4331's quota properties on the home
// and its collections, and 507 with DAV:quota-not-exceeded (or the JSON API's over-quota)
// for a write that would pass the quota, leaving nothing behind: no item, no revision, no
// blob on disk.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody, xmlBody } from './dav-client.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const QUOTA = 1 * MiB;

/** Every file under the blob directory, the temporary area included. */
async function blobFiles(server: Harness): Promise<string[]> {
  const entries = await readdir(join(server.dataDir, 'blobs'), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name)).sort();
}

function quotaProps(entry: { props: Map<string, { status: number; element: { text: string } }> } | undefined): { used: number | null; available: number | null } {
  const figure = (name: string): number | null => {
    const prop = entry?.props.get(`{DAV:}${name}`);
    return prop?.status === 200 ? Number(prop.element.text) : null;
  };
  return { used: figure('quota-used-bytes'), available: figure('quota-available-bytes') };
}

describe('DAV and the JSON API under a quota', () => {
  let server: Harness;
  let aliceId: number;
  const put = (path: string, body: Uint8Array, headers: Record<string, string> = {}) =>
    davRequest(server, 'PUT', path, { body, headers: { 'content-type': 'application/octet-stream', ...headers } });
  const usage = () => server.store.forUser(aliceId).usage();

  before(async () => {
    server = await startHarness();
    const alice = await server.store.accounts.getUserByName('alice');
    assert.ok(alice);
    aliceId = alice.id;
  });
  after(() => server.close());
  beforeEach(async () => {
    // Each test starts with alice's files folder empty and her quota at 1 MiB.
    const user = server.store.forUser(aliceId);
    for (const collection of await user.listCollections({ parent: 'files' })) await user.deleteCollection(collection.path);
    for (const item of (await user.listItems('files')) ?? []) await user.deleteItem('files', item.name, { author: 'test' });
    assert.equal(await server.store.accounts.setQuota(aliceId, QUOTA), true);
  });

  test('the home and every collection report the user-wide quota-used-bytes and quota-available-bytes', async () => {
    assert.equal((await put('/dav/alice/files/a.bin', Buffer.alloc(100 * KiB, 1))).status, 201);
    const used = (await usage()).usedBytes;
    assert.ok(used >= 100 * KiB);
    const entries = await multistatus(
      await davRequest(server, 'PROPFIND', '/dav/alice/', { headers: { depth: '1' }, body: propfindBody('d:quota-used-bytes', 'd:quota-available-bytes') }),
    );
    assert.deepEqual(
      entries.map((entry) => entry.href),
      ['/dav/alice/', '/dav/alice/contacts/', '/dav/alice/calendar/', '/dav/alice/tasks/', '/dav/alice/files/'],
    );
    for (const entry of entries) assert.deepEqual(quotaProps(entry), { used, available: QUOTA - used }, entry.href);

    const [allprop] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/files/', { headers: { depth: '0' } }));
    assert.equal(allprop?.props.has('{DAV:}quota-used-bytes'), false, 'RFC 4331: not part of allprop');
    assert.equal(allprop?.props.has('{DAV:}quota-available-bytes'), false);

    await server.store.accounts.setQuota(aliceId, null);
    const [unlimited] = await multistatus(
      await davRequest(server, 'PROPFIND', '/dav/alice/files/', { headers: { depth: '0' }, body: propfindBody('d:quota-used-bytes', 'd:quota-available-bytes') }),
    );
    assert.deepEqual(quotaProps(unlimited), { used, available: null }, 'no quota: quota-available-bytes is left out');
    assert.equal(unlimited?.props.get('{DAV:}quota-available-bytes')?.status, 404);
  });

  test('a PUT over the quota answers 507 with quota-not-exceeded and a message, and leaves no item, revision or blob', async () => {
    assert.equal((await put('/dav/alice/files/keep.bin', Buffer.alloc(600 * KiB, 2))).status, 201);
    const before = { usage: await usage(), sequence: (await server.store.identity()).sequence, blobs: await blobFiles(server) };

    const response = await put('/dav/alice/files/photo.jpg', Buffer.alloc(2 * MiB, 3), { 'content-type': 'image/jpeg' });
    assert.equal(response.status, 507);
    const error = await xmlBody(response);
    assert.ok(error.children.some((c) => c.ns === NS.dav && c.name === 'quota-not-exceeded'), 'RFC 4331 §6 precondition');
    const message = error.children.find((c) => c.ns === NS.holdfast && c.name === 'message')?.text ?? '';
    assert.match(message, /over your quota: you use 600 KiB of 1 MiB \(614400 of 1048576 bytes\)\. Nothing was stored\./);
    assert.match(message, /deleting files/);
    assert.match(message, /holdfast user quota/);

    assert.equal((await davRequest(server, 'GET', '/dav/alice/files/photo.jpg')).status, 404);
    assert.equal(await server.store.forUser(aliceId).getItem('files', 'photo.jpg'), null);
    assert.deepEqual(await usage(), before.usage);
    assert.equal((await server.store.identity()).sequence, before.sequence);
    assert.deepEqual(await blobFiles(server), before.blobs, 'no blob was kept, and no temporary file was left');

    const replace = await put('/dav/alice/files/keep.bin', Buffer.alloc(QUOTA + 1, 4));
    assert.equal(replace.status, 507, 'a replacement larger than the whole quota');
    assert.equal((await put('/dav/alice/files/keep.bin', Buffer.alloc(QUOTA, 5))).status, 204, 'a replacement up to the quota fits');
    assert.equal((await put('/dav/alice/files/small.txt', Buffer.from('x'))).status, 507, 'even one byte more is refused');
  });

  test('a COPY of a folder over the quota answers 507 and copies nothing; a MOVE and a DELETE still work', async () => {
    assert.equal((await davRequest(server, 'MKCOL', '/dav/alice/files/album/')).status, 201);
    for (const name of ['1.jpg', '2.jpg', '3.jpg']) assert.equal((await put(`/dav/alice/files/album/${name}`, Buffer.alloc(300 * KiB, 6))).status, 201);
    const sequence = (await server.store.identity()).sequence;

    const copy = await davRequest(server, 'COPY', '/dav/alice/files/album/', { headers: { destination: '/dav/alice/files/album-copy/' } });
    assert.equal(copy.status, 507);
    assert.ok((await xmlBody(copy)).children.some((c) => c.ns === NS.dav && c.name === 'quota-not-exceeded'));
    assert.equal((await davRequest(server, 'PROPFIND', '/dav/alice/files/album-copy/', { headers: { depth: '0' } })).status, 404);
    assert.equal((await server.store.identity()).sequence, sequence, 'not one item of the copy was written');

    const itemCopy = await davRequest(server, 'COPY', '/dav/alice/files/album/1.jpg', { headers: { destination: '/dav/alice/files/1-copy.jpg' } });
    assert.equal(itemCopy.status, 507);
    const move = await davRequest(server, 'MOVE', '/dav/alice/files/album/', { headers: { destination: '/dav/alice/files/moved/' } });
    assert.equal(move.status, 201, 'a move adds nothing');
    assert.equal((await davRequest(server, 'DELETE', '/dav/alice/files/moved/3.jpg')).status, 204);
    assert.equal((await davRequest(server, 'COPY', '/dav/alice/files/moved/1.jpg', { headers: { destination: '/dav/alice/files/1-copy.jpg' } })).status, 201, 'room made by a delete is room');
  });

  test('the JSON API answers 507 over-quota with the same message for a PUT and an undelete', async () => {
    const api = `${server.url}/api/v1`;
    const headers = { authorization: server.bearer.alice, 'content-type': 'application/octet-stream' };
    assert.equal((await fetch(`${api}/collections/files/items/old.bin`, { method: 'PUT', headers, body: Buffer.alloc(700 * KiB) })).status, 201);
    assert.equal((await fetch(`${api}/collections/files/items/old.bin`, { method: 'DELETE', headers: { authorization: server.bearer.alice } })).status, 204);
    assert.equal((await fetch(`${api}/collections/files/items/new.bin`, { method: 'PUT', headers, body: Buffer.alloc(700 * KiB, 1) })).status, 201);

    const put = await fetch(`${api}/collections/files/items/more.bin`, { method: 'PUT', headers, body: Buffer.alloc(400 * KiB, 2) });
    assert.equal(put.status, 507);
    const body = (await put.json()) as { error: string; message: string };
    assert.equal(body.error, 'over-quota');
    assert.match(body.message, /you use 700 KiB of 1 MiB/);

    const undelete = await fetch(`${api}/collections/files/items/old.bin/undelete`, { method: 'POST', headers: { authorization: server.bearer.alice } });
    assert.equal(undelete.status, 507);
    assert.equal(((await undelete.json()) as { error: string }).error, 'over-quota');
    assert.equal((await server.store.forUser(aliceId).getItem('files', 'old.bin'))?.deleted, true, 'still in the trash');
  });
});
