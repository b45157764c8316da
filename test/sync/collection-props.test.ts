// POST /api/v1/sync/collections: a device's collection names, descriptions and colours, over
// real HTTP, every answer checked against docs/sync-openapi.json.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { syncClient, type ChangeJson, type SyncClient } from './sync-client.ts';

type CollectionResult = { path: string; result: string; reason?: string; message?: string; collection?: { id: number; path: string; props: Record<string, unknown> } };

describe('sync API: collection properties', () => {
  let server: Harness;
  let alice: SyncClient;
  let bob: SyncClient;
  const userStore = async (name: string) => server.store.forUser((await server.store.accounts.getUserByName(name))?.id ?? 0);
  before(async () => {
    server = await startHarness();
    alice = syncClient(server.url, server.bearer.alice);
    bob = syncClient(server.url, server.appPassword.bob);
  });
  after(async () => {
    assert.deepEqual((await server.store.checkIntegrity({ verifyBlobContent: false })).problems, []);
    await server.close();
  });

  test('a device names and colours a calendar; the change is pulled by others as a collection change', async () => {
    const { cursor } = await alice.pullAll();
    const answer = await alice.collections([{ path: 'calendar', kind: 'calendar', props: { displayName: 'Family', color: '#3366ccff' } }]);
    assert.equal(answer.status, 200);
    const [result] = answer.body.results as CollectionResult[];
    assert.equal(result?.result, 'applied');
    assert.deepEqual(result?.collection?.props, { displayName: 'Family', color: '#3366ccff' });

    const { changes } = await alice.pullAll(cursor);
    const pulled = changes.filter((c): c is Extract<ChangeJson, { type: 'collection' }> => c.type === 'collection');
    assert.equal(pulled.length, 1);
    assert.equal(pulled[0]?.collection.path, 'calendar');
    assert.deepEqual((pulled[0]?.collection as unknown as { props: unknown }).props, { displayName: 'Family', color: '#3366ccff' });

    // The same through CalDAV: what a phone's calendar app shows.
    const dav = await fetch(`${server.url}/dav/alice/calendar/`, {
      method: 'PROPFIND',
      headers: { authorization: server.bearer.alice, depth: '0', 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>',
    });
    assert.match(await dav.text(), /<d:displayname>Family<\/d:displayname>/);
  });

  test('properties change one by one: null removes, an absent field stays, the same values again are unchanged', async () => {
    await alice.collections([{ path: 'tasks', kind: 'tasks', props: { displayName: 'Chores', description: 'weekly', order: 2 } }]);
    const removed = await alice.collections([{ path: 'tasks', kind: 'tasks', props: { description: null } }]);
    assert.deepEqual((removed.body.results as CollectionResult[])[0]?.collection?.props, { displayName: 'Chores', order: 2 });
    const before = (await server.store.identity()).sequence;
    const same = await alice.collections([{ path: 'tasks', kind: 'tasks', props: { displayName: 'Chores' } }]);
    assert.equal((same.body.results as CollectionResult[])[0]?.result, 'unchanged');
    assert.equal((await server.store.identity()).sequence, before, 'an unchanged answer wrote nothing');
  });

  test('an absent collection is made with its kind and properties, parents too', async () => {
    const answer = await alice.collections([{ path: 'albums/2026', kind: 'files', props: { displayName: 'Summer 2026' } }]);
    const [result] = answer.body.results as CollectionResult[];
    assert.equal(result?.result, 'applied');
    const user = await userStore('alice');
    assert.equal((await user.getCollection('albums'))?.kind, 'files');
    assert.equal((await user.getCollection('albums/2026'))?.props.displayName, 'Summer 2026');
  });

  test('a heal fills in only what the server lacks: a name the server has stays, a lost colour comes back', async () => {
    await alice.collections([{ path: 'contacts', kind: 'contacts', props: { displayName: 'Renamed elsewhere' } }]);
    const answer = await alice.collections([
      { path: 'contacts', kind: 'contacts', props: { displayName: 'What this device knew', color: '#ff0000' }, onlyMissing: true },
    ]);
    const [result] = answer.body.results as CollectionResult[];
    assert.equal(result?.result, 'applied');
    assert.deepEqual(result?.collection?.props, { displayName: 'Renamed elsewhere', color: '#ff0000' });
  });

  test('another kind at the path is refused with a reason, and each collection is answered on its own', async () => {
    const answer = await alice.collections([
      { path: 'contacts', kind: 'calendar', props: { displayName: 'Nope' } },
      { path: 'bad//path', kind: 'notes', props: { displayName: 'Nope' } },
      { path: 'notes', kind: 'notes', props: { displayName: 'Notes' } },
    ]);
    assert.equal(answer.status, 200);
    const results = answer.body.results as CollectionResult[];
    assert.deepEqual(results.map((r) => [r.result, r.reason]), [['refused', 'collection-kind-mismatch'], ['refused', 'bad-input'], ['applied', undefined]]);
    assert.match(results[0]?.message ?? '', /holds contacts, not calendar/);
    assert.equal((await (await userStore('alice')).getCollection('contacts'))?.props.displayName, 'Renamed elsewhere');
  });

  test('deleted: true sends a collection and what is in it to the trash; an absent one is unchanged; another kind is refused', async () => {
    await alice.collections([{ path: 'old-notes', kind: 'notes', props: { displayName: 'Old' } }]);
    const user = await userStore('alice');
    await user.putItem('old-notes', 'n.md', Buffer.from('kept in the trash'), { contentType: 'text/markdown', author: 'test' });
    const wrongKind = await alice.collections([{ path: 'old-notes', kind: 'files', props: {}, deleted: true }]);
    assert.equal((wrongKind.body.results as CollectionResult[])[0]?.reason, 'collection-kind-mismatch');
    assert.ok(await user.getCollection('old-notes'), 'a refused delete deletes nothing');

    const answer = await alice.collections([
      { path: 'old-notes', kind: 'notes', props: {}, deleted: true },
      { path: 'never-was', kind: 'notes', props: {}, deleted: true },
    ]);
    const results = answer.body.results as (CollectionResult & { collection: { deleted: boolean } | null })[];
    assert.deepEqual(results.map((r) => r.result), ['applied', 'unchanged']);
    assert.equal(results[0]?.collection?.deleted, true);
    assert.equal(results[1]?.collection, null);
    assert.equal(await user.getCollection('old-notes'), null);
    const trashed = (await user.listCollections({ includeDeleted: true })).find((c) => c.path === 'old-notes');
    assert.ok(trashed?.deletedAt);
    assert.equal((await user.restoreCollection(trashed.id)).kind, 'changed');
    assert.deepEqual((await user.listItems('old-notes'))?.map((i) => i.name), ['n.md'], 'restored from the trash with its item');
  });

  test('a body that is not valid is a 400 that names the field, and changes nothing', async () => {
    const before = (await server.store.identity()).sequence;
    for (const body of [
      [{ path: 'notes', kind: 'notes', props: { displayName: 'x'.repeat(256) } }],
      [{ path: 'notes', kind: 'notes', props: { colour: 'red' } }],
      [{ path: 'notes', kind: 'nonsense', props: {} }],
    ]) {
      const response = await fetch(`${server.url}/api/v1/sync/collections`, {
        method: 'POST',
        headers: { authorization: server.bearer.alice, 'content-type': 'application/json' },
        body: JSON.stringify({ collections: body }),
      });
      assert.equal(response.status, 400);
      const json = (await response.json()) as { message: string };
      assert.match(json.message, /field|body/);
    }
    assert.equal((await server.store.identity()).sequence, before);
  });

  test("a user's change never reaches another user's collection of the same path", async () => {
    await bob.collections([{ path: 'calendar', kind: 'calendar', props: { displayName: "Bob's" } }]);
    assert.equal((await (await userStore('alice')).getCollection('calendar'))?.props.displayName, 'Family');
    assert.equal((await (await userStore('bob')).getCollection('calendar'))?.props.displayName, "Bob's");
  });
});
