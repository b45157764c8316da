// The SDK's collections against a real server: names and colours set offline and synced,
// changes from a phone's CalDAV client arriving, a rename on the server followed, and a heal
// that brings back every collection with its properties, even one without items.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SyncClient } from '../../client/sync-client.ts';
import { davRequest } from '../dav/dav-client.ts';
import type { Harness } from '../server/harness.ts';
import { bytes, useDevices } from './devices.ts';

describe('sync client: collections', () => {
  const devices = useDevices('client-collections');
  const { server, device } = devices;

  const propsOf = async (client: SyncClient, path: string) => (await client.collections()).find((c) => c.path === path)?.props;
  /** Alice's view of the store on that server, to check what the server holds. */
  const aliceStore = async (harness: Harness) => harness.store.forUser((await harness.store.accounts.getUserByName('alice'))?.id ?? 0);
  const serverCollection = async (harness: Harness, path: string) => (await aliceStore(harness)).getCollection(path);

  it('a name and colour set offline show at once, reach the server and another device, and changes of different properties both stay', async () => {
    const harness = await server();
    const a = device(harness, 'props-a');
    const b = device(harness, 'props-b');
    await a.syncOnce();
    await b.syncOnce();
    assert.ok((await a.collections()).some((c) => c.path === 'calendar' && c.kind === 'calendar' && c.serverId !== null), 'the pull names the default collections');

    const stored = await a.setCollectionProps('calendar', 'calendar', { displayName: 'Family', color: '#3366CCFF' });
    assert.deepEqual(stored.props, { displayName: 'Family', color: '#3366CCFF' });
    assert.deepEqual(await propsOf(a, 'calendar'), { displayName: 'Family', color: '#3366CCFF' }, 'offline, at once');
    const report = await a.syncOnce();
    assert.equal(report.collections.pushed, 1);
    assert.deepEqual((await serverCollection(harness, 'calendar'))?.props, { displayName: 'Family', color: '#3366CCFF' });
    assert.equal((await a.collections()).find((c) => c.path === 'calendar')?.pendingProps, null, 'nothing left to send');

    await b.syncOnce();
    assert.deepEqual(await propsOf(b, 'calendar'), { displayName: 'Family', color: '#3366CCFF' });

    // Both change the calendar before either hears of the other's change.
    await a.setCollectionProps('calendar', 'calendar', { description: 'school and sport' });
    await b.setCollectionProps('calendar', 'calendar', { color: '#FF0000FF', displayName: null });
    await a.syncOnce();
    await b.syncOnce();
    await a.syncOnce();
    const merged = { color: '#FF0000FF', description: 'school and sport' };
    assert.deepEqual(await propsOf(a, 'calendar'), merged);
    assert.deepEqual(await propsOf(b, 'calendar'), merged);
    assert.deepEqual((await serverCollection(harness, 'calendar'))?.props, merged);
  });

  it("a phone's PROPPATCH of an address book's name arrives on the device", async () => {
    const harness = await server();
    const a = device(harness, 'dav-a');
    await a.syncOnce();
    const proppatch = await davRequest(harness, 'PROPPATCH', '/dav/alice/contacts/', {
      headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>People</d:displayname></d:prop></d:set></d:propertyupdate>',
    });
    assert.equal(proppatch.status, 207);
    await a.syncOnce();
    assert.equal((await propsOf(a, 'contacts'))?.displayName, 'People');
  });

  it("a folder renamed on the server moves the device's items, and an edit made before the device heard of it lands in the new place", async () => {
    const harness = await server();
    const a = device(harness, 'move-a');
    await a.put('files/holiday', 'files', 'beach.jpg', bytes('beach'), 'image/jpeg');
    await a.put('files/holiday/day2', 'files', 'dunes.jpg', bytes('dunes'), 'image/jpeg');
    await a.syncOnce();

    const move = await davRequest(harness, 'MOVE', '/dav/alice/files/holiday/', { headers: { destination: '/dav/alice/files/italy-2026/' } });
    assert.equal(move.status, 201);
    // Written offline, on the old path, before the device syncs and learns of the move.
    await a.put('files/holiday', 'files', 'beach.jpg', bytes('beach, cropped'), 'image/jpeg');
    const report = await a.syncOnce();
    assert.deepEqual(report.refused, []);

    const items = (await a.list()).map((item) => `${item.collectionPath}/${item.name}`).sort();
    assert.deepEqual(items, ['files/italy-2026/beach.jpg', 'files/italy-2026/day2/dunes.jpg']);
    const paths = (await a.collections()).map((c) => c.path);
    assert.ok(paths.includes('files/italy-2026') && paths.includes('files/italy-2026/day2') && !paths.includes('files/holiday'), paths.join());
    assert.equal(await serverCollection(harness, 'files/holiday'), null, 'the old folder was not made again by the push');
    const onServer = await (await aliceStore(harness)).getItem('files/italy-2026', 'beach.jpg');
    assert.equal(onServer?.head.author, 'device:move-a', "the device's edit is the head in the moved folder");
    assert.equal(new TextDecoder().decode((await a.get('files/italy-2026', 'beach.jpg'))?.content ?? new Uint8Array()), 'beach, cropped');
  });

  it('a server that came back empty gets back every collection with its properties, even an empty task list, and keeps a name it has', async () => {
    const first = await server();
    const a = device(first, 'heal-a');
    await a.syncOnce();
    await a.setCollectionProps('contacts', 'contacts', { displayName: 'Everyone', extra: { '{http://example.org/ns}sort': 'last-name' } });
    await a.setCollectionProps('errands', 'tasks', { displayName: 'Errands', color: '#00AA00FF', order: 3 });
    await a.put('notes', 'notes', 'n.json', bytes('{"t":"x"}'), 'application/json');
    await a.setCollectionProps('notes', 'notes', { displayName: 'Notebook' });
    await a.syncOnce();
    // Not yet sent when the server goes.
    await a.setCollectionProps('calendar', 'calendar', { displayName: 'Home' });

    const second = await server();
    // Someone already named the new server's address book before the device came back.
    await (await aliceStore(second)).updateCollection('contacts', { displayName: 'Named on the new server' });
    const a2 = device(second, 'heal-a');
    const report = await a2.syncOnce();
    assert.equal(report.healed, true);
    assert.deepEqual(report.collections.refused, []);

    assert.deepEqual((await serverCollection(second, 'errands'))?.props, { displayName: 'Errands', color: '#00AA00FF', order: 3 }, 'an empty task list is back');
    assert.equal((await serverCollection(second, 'errands'))?.kind, 'tasks');
    assert.deepEqual((await serverCollection(second, 'notes'))?.props, { displayName: 'Notebook' });
    assert.equal((await serverCollection(second, 'calendar'))?.props.displayName, 'Home', 'the unsent change went too');
    assert.deepEqual(
      (await serverCollection(second, 'contacts'))?.props,
      { displayName: 'Named on the new server', extra: { '{http://example.org/ns}sort': 'last-name' } },
      'a heal fills in what the server lacks and keeps what it has',
    );
    assert.equal((await propsOf(a2, 'contacts'))?.displayName, 'Named on the new server', 'the device takes the name the server kept');

    const fresh = device(second, 'heal-new');
    await fresh.syncOnce();
    assert.deepEqual(await propsOf(fresh, 'errands'), { displayName: 'Errands', color: '#00AA00FF', order: 3 });
    const serverIds = new Map((await a2.collections()).map((c) => [c.path, c.serverId]));
    for (const collection of await fresh.collections()) assert.equal(serverIds.get(collection.path), collection.serverId, `${collection.path}: the healed device knows the new server's ids`);
  });

  it("a collection deleted on the server leaves the device's lists, keeps its items in the replica, and comes back when it is restored", async () => {
    const harness = await server();
    const a = device(harness, 'trash-a');
    await a.put('notebook', 'notes', 'idea.md', bytes('an idea'), 'text/markdown');
    await a.put('notes', 'notes', 'kept.md', bytes('kept'), 'text/markdown');
    await a.syncOnce();

    const deleted = await davRequest(harness, 'DELETE', '/dav/alice/notebook/');
    assert.equal(deleted.status, 204);
    await a.syncOnce();
    assert.deepEqual((await a.list()).map((i) => `${i.collectionPath}/${i.name}`), ['notes/kept.md'], 'the deleted collection is not listed');
    assert.equal(await a.get('notebook', 'idea.md'), undefined);
    assert.ok(!(await a.collections()).some((c) => c.path === 'notebook'));
    assert.equal((await devices.replica('trash-a').getItem('notebook', 'idea.md'))?.deleted, false, 'its items stay on the device');

    const user = await aliceStore(harness);
    const trashed = (await user.listCollections({ includeDeleted: true })).find((c) => c.path === 'notebook' && c.deletedAt);
    assert.equal((await user.restoreCollection(trashed?.id ?? 0)).kind, 'changed');
    await a.syncOnce();
    assert.equal(new TextDecoder().decode((await a.get('notebook', 'idea.md'))?.content ?? new Uint8Array()), 'an idea', 'restored on the server, back on the device');
  });

  it('a collection deleted on a device goes to the trash on the server with what was written into it first, and leaves the other devices', async () => {
    const harness = await server();
    const a = device(harness, 'delete-a');
    const b = device(harness, 'delete-b');
    await a.put('projects', 'notes', 'plan.md', bytes('the plan'), 'text/markdown');
    await a.syncOnce();
    await b.syncOnce();
    await a.put('projects', 'notes', 'late.md', bytes('written just before the delete'), 'text/markdown');
    assert.equal(await a.deleteCollection('projects'), true);
    assert.equal(await a.deleteCollection('projects'), false, 'already deleted');
    assert.deepEqual(await a.list('projects'), [], 'gone from the device at once');
    const report = await a.syncOnce();
    assert.equal(report.collections.pushed, 1);

    const user = await aliceStore(harness);
    assert.equal(await user.getCollection('projects'), null, 'not live on the server');
    const trashed = (await user.listCollections({ includeDeleted: true })).find((c) => c.path === 'projects');
    assert.ok(trashed?.deletedAt, 'in the trash');
    assert.equal((await user.restoreCollection(trashed.id, 'projects-back')).kind, 'changed');
    assert.deepEqual((await user.listItems('projects-back'))?.map((i) => i.name).sort(), ['late.md', 'plan.md'], 'both items, the late one too, went with it');

    await b.syncOnce();
    assert.deepEqual((await b.list()).filter((i) => i.collectionPath.startsWith('projects')).map((i) => `${i.collectionPath}/${i.name}`).sort(), [
      'projects-back/late.md',
      'projects-back/plan.md',
    ], 'b saw the delete and the restore under a new name');
  });

  it('a heal does not bring a deleted collection back to life: its revisions go back, and it goes back to the trash', async () => {
    const first = await server();
    const a = device(first, 'heal-trash-a');
    await a.put('old-calendar', 'calendar', 'e.ics', bytes(['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//t//t//EN', 'BEGIN:VEVENT', 'UID:e', 'DTSTAMP:20260101T000000Z', 'DTSTART:20260102T100000Z', 'SUMMARY:old', 'END:VEVENT', 'END:VCALENDAR', ''].join('\r\n')), 'text/calendar');
    await a.syncOnce();
    assert.equal((await davRequest(first, 'DELETE', '/dav/alice/old-calendar/')).status, 204);
    await a.syncOnce();

    const second = await server();
    const report = await device(second, 'heal-trash-a').syncOnce();
    assert.equal(report.healed, true);
    const user = await aliceStore(second);
    assert.equal(await user.getCollection('old-calendar'), null, 'not live on the healed server');
    const trashed = (await user.listCollections({ includeDeleted: true })).find((c) => c.path === 'old-calendar');
    assert.ok(trashed?.deletedAt, 'in its trash, with its event, so it can be restored there');
    const fresh = device(second, 'heal-trash-new');
    await fresh.syncOnce();
    assert.deepEqual((await fresh.list()).filter((i) => i.collectionPath === 'old-calendar'), []);
  });

  it('a change the server would refuse is refused on the device and stores nothing; another kind at the path is refused by the server and reported', async () => {
    const harness = await server();
    const a = device(harness, 'refuse-a');
    await assert.rejects(a.setCollectionProps('notes', 'notes', { displayName: 'x'.repeat(256) }), /displayName must be at most 255 characters/);
    await assert.rejects(a.setCollectionProps('notes', 'notes', { colour: 'red' } as never), /unknown property colour/);
    assert.deepEqual(await a.collections(), []);

    // A device that has never synced thinks "contacts" is a note book.
    await a.setCollectionProps('contacts', 'notes', { displayName: 'Mine' });
    const report = await a.syncOnce();
    assert.equal(report.collections.refused.length, 1);
    assert.equal(report.collections.refused[0]?.reason, 'collection-kind-mismatch');
    assert.match(report.collections.refused[0]?.message ?? '', /holds contacts, not notes/);
    assert.notEqual((await serverCollection(harness, 'contacts'))?.props.displayName, 'Mine');
    assert.equal((await a.syncOnce()).collections.refused.length, 0, 'a refused change is not sent again');
    await assert.rejects(a.setCollectionProps('contacts', 'notes', { displayName: 'Mine' }), /contacts holds contacts, not notes/);
  });
});
