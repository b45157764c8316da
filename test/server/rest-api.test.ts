import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { json, sendJson, startHarness, type Harness } from './harness.ts';

const VCARD_V1 = 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n';
const VCARD_V2 = 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada King\r\nEND:VCARD\r\n';

describe('REST API', () => {
  let server: Harness;
  let api: string;
  before(async () => {
    server = await startHarness();
    api = `${server.url}/api/v1`;
  });
  after(() => server.close());

  const put = (path: string, body: string | Uint8Array, headers: Record<string, string> = {}, who = server.appPassword.alice): Promise<Response> =>
    fetch(`${api}${path}`, { method: 'PUT', headers: { authorization: who, 'content-type': 'text/vcard; charset=utf-8', ...headers }, body });
  const get = (path: string, headers: Record<string, string> = {}, who = server.appPassword.alice): Promise<Response> =>
    fetch(`${api}${path}`, { headers: { authorization: who, ...headers } });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, who = server.appPassword.alice): Promise<Response> =>
    fetch(`${api}${path}`, { method: 'POST', headers: { authorization: who, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const sequence = async (): Promise<number> => (await server.store.identity()).sequence;

  test('PUT a collection creates it (201), again answers 200, and another kind under the name is a 409', async () => {
    const created = await sendJson(`${api}/collections/people`, 'PUT', server.appPassword.alice, { kind: 'contacts', displayName: 'People' });
    assert.equal(created.status, 201);
    const body = await json(created);
    assert.deepEqual((body.collection as { props: unknown }).props, { displayName: 'People' });
    assert.equal((await sendJson(`${api}/collections/people`, 'PUT', server.appPassword.alice, { kind: 'contacts' })).status, 200);
    const clash = await sendJson(`${api}/collections/people`, 'PUT', server.appPassword.alice, { kind: 'calendar' });
    assert.equal(clash.status, 409);
    assert.match(String((await json(clash)).message), /holds contacts, not calendar/);

    const list = await json(await get('/collections'));
    // A new user starts with an address book, a calendar, a task list and a file folder.
    assert.deepEqual((list.collections as { name: string }[]).map((c) => c.name), ['calendar', 'contacts', 'files', 'people', 'tasks']);
  });

  test('PUT a collection validates the kind and refuses unknown fields, and changes nothing', async () => {
    const before = await sequence();
    const badKind = await sendJson(`${api}/collections/stuff`, 'PUT', server.appPassword.alice, { kind: 'photos' });
    assert.equal(badKind.status, 400);
    assert.match(String((await json(badKind)).message), /kind.*contacts, calendar/);
    const typo = await sendJson(`${api}/collections/stuff`, 'PUT', server.appPassword.alice, { kind: 'notes', dispayName: 'x' });
    assert.equal(typo.status, 400);
    assert.match(String((await json(typo)).message), /unknown field "dispayName"/);
    const notJson = await fetch(`${api}/collections/stuff`, { method: 'PUT', headers: { authorization: server.appPassword.alice, 'content-type': 'application/json' }, body: '{kind:' });
    assert.equal(notJson.status, 400);
    assert.equal((await json(notJson)).error, 'invalid-json');
    assert.equal(await sequence(), before);
  });

  test('an item round trip: create, read with ETag, conditional update, 412s, delete, trash, undelete, history, restore', async () => {
    const path = '/collections/contacts/items/ada.vcf';

    const created = await put(path, VCARD_V1, { 'if-none-match': '*' });
    assert.equal(created.status, 201);
    const etag1 = created.headers.get('etag');
    assert.match(etag1 ?? '', /^"[^"]+"$/);
    assert.equal(((await json(created)).revision as { etag: string }).etag, etag1);

    const read = await get(path);
    assert.equal(read.status, 200);
    assert.equal(read.headers.get('etag'), etag1);
    assert.equal(read.headers.get('content-type'), 'text/vcard; charset=utf-8');
    assert.equal(read.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await read.text(), VCARD_V1);
    assert.equal((await get(path, { 'if-none-match': etag1 ?? '' })).status, 304);

    // Creating what exists, or updating from a stale version, changes nothing.
    const before = await sequence();
    const again = await put(path, VCARD_V2, { 'if-none-match': '*' });
    assert.equal(again.status, 412);
    assert.equal((await json(again)).error, 'precondition-failed');
    const stale = await put(path, VCARD_V2, { 'if-match': '"rev-that-never-was"' });
    assert.equal(stale.status, 412);
    assert.match(String((await json(stale)).message), new RegExp(`current ETag is ${etag1}`));
    assert.equal(await sequence(), before);
    assert.equal(await (await get(path)).text(), VCARD_V1);

    const updated = await put(path, VCARD_V2, { 'if-match': etag1 ?? '' });
    assert.equal(updated.status, 200);
    const etag2 = updated.headers.get('etag');
    assert.notEqual(etag2, etag1);
    assert.equal(await (await get(path)).text(), VCARD_V2);

    const items = await json(await get('/collections/contacts/items'));
    assert.deepEqual((items.items as { name: string; etag: string }[]).map((i) => [i.name, i.etag]), [['ada.vcf', etag2]]);

    // Delete: a stale If-Match is refused; then into the trash.
    const staleDelete = await fetch(`${api}${path}`, { method: 'DELETE', headers: { authorization: server.appPassword.alice, 'if-match': etag1 ?? '' } });
    assert.equal(staleDelete.status, 412);
    const deleted = await fetch(`${api}${path}`, { method: 'DELETE', headers: { authorization: server.appPassword.alice, 'if-match': etag2 ?? '' } });
    assert.equal(deleted.status, 204);
    const gone = await get(path);
    assert.equal(gone.status, 404);
    assert.match(String((await json(gone)).message), /trash/);

    const trash = await json(await get('/trash'));
    assert.deepEqual((trash.items as { collection: string; name: string }[]).map((i) => [i.collection, i.name]), [['contacts', 'ada.vcf']]);
    assert.equal(((await json(await get('/trash?collection=contacts'))).items as unknown[]).length, 1);

    const undeleted = await post(`${path}/undelete`, {});
    assert.equal(undeleted.status, 200);
    assert.equal(await (await get(path)).text(), VCARD_V2);
    assert.equal(((await json(await get('/trash'))).items as unknown[]).length, 0);
    const notInTrash = await post(`${path}/undelete`, {});
    assert.equal(notInTrash.status, 409);

    // History, newest first: created, updated, deleted, undeleted.
    const history = await json(await get(`${path}/history`));
    const revisions = history.revisions as { id: string; etag: string; deleted: boolean }[];
    assert.deepEqual(revisions.map((r) => r.deleted), [false, true, false, false]);
    assert.equal(revisions[3]?.etag, etag1);

    // Restore the first version as a new revision on top.
    const restored = await post(`${path}/restore`, { revision: revisions[3]?.id });
    assert.equal(restored.status, 200);
    assert.equal(await (await get(path)).text(), VCARD_V1);
    assert.equal(((await json(await get(`${path}/history`))).revisions as unknown[]).length, 5);

    const tombstone = await post(`${path}/restore`, { revision: revisions[1]?.id });
    assert.equal(tombstone.status, 409);
    const unknown = await post(`${path}/restore`, { revision: 'no-such-revision' });
    assert.equal(unknown.status, 404);
    const staleRestore = await post(`${path}/restore`, { revision: revisions[3]?.id }, { 'if-match': etag1 ?? '' });
    assert.equal(staleRestore.status, 412);
  });

  test('content larger than the inline limit streams through the blob store intact', async () => {
    const big = new Uint8Array(300 * 1024).map((_, i) => (i * 31) % 251);
    const created = await put('/collections/contacts/items/photo.jpg', big, { 'content-type': 'image/jpeg' });
    assert.equal(created.status, 201);
    const read = await get('/collections/contacts/items/photo.jpg');
    assert.equal(read.headers.get('content-type'), 'image/jpeg');
    assert.equal(read.headers.get('content-length'), String(big.length));
    assert.deepEqual(new Uint8Array(await read.arrayBuffer()), big);
  });

  test("a user cannot reach another user's collection or items: 404, as if they did not exist", async () => {
    await sendJson(`${api}/collections/private`, 'PUT', server.appPassword.alice, { kind: 'contacts' });
    await put('/collections/private/items/secret.vcf', VCARD_V1);
    const bob = server.appPassword.bob;
    const before = await sequence();

    const list = await get('/collections/private/items', {}, bob);
    assert.equal(list.status, 404);
    assert.equal((await get('/collections/private/items/secret.vcf', {}, bob)).status, 404);
    assert.equal((await get('/collections/private/items/secret.vcf/history', {}, bob)).status, 404);
    assert.equal((await put('/collections/private/items/secret.vcf', 'overwritten', {}, bob)).status, 404);
    const remove = await fetch(`${api}/collections/private/items/secret.vcf`, { method: 'DELETE', headers: { authorization: bob } });
    assert.equal(remove.status, 404);
    assert.equal((await get('/collections/contacts/items/secret.vcf', {}, bob)).status, 404, "bob's own contacts do not hold it");
    const bobs = (await json(await get('/collections', {}, bob))).collections as { name: string }[];
    assert.deepEqual(bobs.map((c) => c.name), ['calendar', 'contacts', 'files', 'tasks'], 'only his own');
    assert.deepEqual((await json(await get('/trash', {}, bob))).items, []);

    assert.equal(await sequence(), before);
    assert.equal(await (await get('/collections/private/items/secret.vcf')).text(), VCARD_V1);
  });

  test('names with "/", control characters, or over 255 characters are refused with 400 and change nothing', async () => {
    const before = await sequence();
    for (const name of ['a%2Fb', 'bad%01name', 'x'.repeat(256), 'tab%09']) {
      const response = await put(`/collections/contacts/items/${name}`, VCARD_V1);
      assert.equal(response.status, 400, name);
      assert.equal((await json(response)).error, 'invalid-name');
    }
    const collection = await sendJson(`${api}/collections/a%2Fb`, 'PUT', server.appPassword.alice, { kind: 'notes' });
    assert.equal(collection.status, 400);
    assert.equal(await sequence(), before);
    // 255 characters is fine.
    assert.equal((await put(`/collections/contacts/items/${'y'.repeat(255)}`, VCARD_V1)).status, 201);
  });

  test('a PUT into a collection that does not exist answers 404 and says how to create it', async () => {
    const response = await put('/collections/nope/items/a.vcf', VCARD_V1);
    assert.equal(response.status, 404);
    assert.match(String((await json(response)).message), /PUT \/api\/v1\/collections\/nope/);
  });

  test('malformed conditional headers answer 400', async () => {
    const response = await put('/collections/contacts/items/c.vcf', VCARD_V1, { 'if-match': 'no-quotes' });
    assert.equal(response.status, 400);
    assert.match(String((await json(response)).message), /If-Match/);
  });

  test('compressed uploads are refused rather than stored as compressed bytes', async () => {
    const response = await put('/collections/contacts/items/z.vcf', VCARD_V1, { 'content-encoding': 'gzip' });
    assert.equal(response.status, 415);
  });
});

describe('REST API body size limit', () => {
  let server: Harness;
  let api: string;
  before(async () => {
    server = await startHarness({ config: { maxBodyBytes: 4096 } });
    api = `${server.url}/api/v1`;
    await sendJson(`${api}/collections/files`, 'PUT', server.appPassword.alice, { kind: 'files' });
  });
  after(() => server.close());

  test('an oversized PUT answers 413 stating the limit, and nothing is stored', async () => {
    const before = (await server.store.identity()).sequence;
    const response = await fetch(`${api}/collections/files/items/big.bin`, {
      method: 'PUT',
      headers: { authorization: server.appPassword.alice, 'content-type': 'application/octet-stream' },
      body: new Uint8Array(5000),
    });
    assert.equal(response.status, 413);
    const body = await json(response);
    assert.equal(body.error, 'too-large');
    assert.match(String(body.message), /4 KiB \(4096 bytes\)/);
    assert.equal((await server.store.identity()).sequence, before);
    const alice = (await server.accounts.listUsers()).find((u) => u.name === 'alice');
    assert.equal(await server.store.forUser(alice?.id ?? -1).getItem('files', 'big.bin'), null);
  });

  test('an oversized streamed PUT without Content-Length answers 413, and nothing is stored', async () => {
    const before = (await server.store.identity()).sequence;
    const chunks = [new Uint8Array(3000), new Uint8Array(3000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    const response = await fetch(`${api}/collections/files/items/streamed.bin`, {
      method: 'PUT',
      headers: { authorization: server.appPassword.alice, 'content-type': 'application/octet-stream' },
      body: stream,
      duplex: 'half',
    });
    assert.equal(response.status, 413);
    assert.equal((await json(response)).error, 'too-large');
    assert.equal((await server.store.identity()).sequence, before);
    const alice = (await server.accounts.listUsers()).find((u) => u.name === 'alice');
    assert.equal(await server.store.forUser(alice?.id ?? -1).getItem('files', 'streamed.bin'), null);
  });

  test('an oversized JSON body answers 413 in the same format', async () => {
    const response = await sendJson(`${api}/collections/more`, 'PUT', server.appPassword.alice, { kind: 'notes', description: 'x'.repeat(5000) });
    assert.equal(response.status, 413);
    assert.match(String((await json(response)).message), /4 KiB/);
  });

  test('a body at the limit is stored', async () => {
    const response = await fetch(`${api}/collections/files/items/fits.bin`, {
      method: 'PUT',
      headers: { authorization: server.appPassword.alice },
      body: new Uint8Array(4096),
    });
    assert.equal(response.status, 201);
  });
});
