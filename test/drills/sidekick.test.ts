// The Sidekick drill (DESIGN.md, "Why it exists"), with real processes: three laptops run
// `holdfast device sync` against a real `holdfast serve`; the server's data directory is
// destroyed and a new, empty server takes its place (no backup to restore from); the
// devices heal it; a fourth device starting from nothing then gets every item of every
// kind, byte for byte. And the other way: a device reset to nothing gets it all back.
import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServerProcess } from '../backup/server-process.ts';
import { bytes, deviceSync, noiseJpeg, PASSWORD, replicaItems, serverWithUser, USER, vcard, vevent, watchDevice, withReplica } from '../cli/device-process.ts';
import { holdfast, temporaryDirectory } from '../cli/holdfast-process.ts';

interface SyncJson {
  result: 'synced' | 'paused';
  pushed: number;
  pulled: number;
  healed: boolean;
  healPushed: number;
  conflicts: unknown[];
  refused: unknown[];
}

const authorization = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** What every device and the healed server must hold: `collection/name` → the original bytes. */
const originals = new Map<string, Uint8Array>();
/** Deleted before the disaster: must never come back. */
const deleted = new Set<string>();

let temporary: { dir: string; cleanup: () => Promise<void> };
let server: ServerProcess | null = null;
const devices = ['laptop-1', 'laptop-2', 'laptop-3'];
const stateOf = (name: string) => join(temporary.dir, 'devices', name);

async function sync(name: string, url: string, extra: string[] = []): Promise<SyncJson> {
  const done = await deviceSync(stateOf(name), url, ['--json', ...extra]);
  assert.equal(done.code, 0, `device sync of ${name} exited ${done.code}:\n${done.stderr}`);
  const report = JSON.parse(done.stdout) as SyncJson;
  assert.deepEqual(report.refused, [], `${name}: nothing is refused`);
  return report;
}

async function put(url: string, path: string, body: Uint8Array, contentType: string): Promise<void> {
  const response = await fetch(`${url}/dav/${USER}/${path}`, { method: 'PUT', headers: { authorization, 'content-type': contentType }, body });
  assert.ok(response.status === 201 || response.status === 204, `PUT ${path}: ${response.status} ${await response.text()}`);
}

/** What the collections must be called everywhere: path → display name (and colour). */
const collectionNames = new Map<string, { displayName: string; color?: string }>();

/** Names a collection as a phone's calendar or contacts app does: a PROPPATCH of DAV:displayname (and Apple's calendar-color). */
async function proppatch(url: string, path: string, displayName: string, color?: string): Promise<void> {
  const colour = color ? `<x:calendar-color xmlns:x="http://apple.com/ns/ical/">${color}</x:calendar-color>` : '';
  const response = await fetch(`${url}/dav/${USER}/${path}/`, {
    method: 'PROPPATCH',
    headers: { authorization, 'content-type': 'application/xml' },
    body: `<?xml version="1.0"?><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>${displayName}</d:displayname>${colour}</d:prop></d:set></d:propertyupdate>`,
  });
  assert.equal(response.status, 207, `PROPPATCH ${path}: ${await response.text()}`);
}

/** The display name a server gives a collection over DAV, as a phone would read it. */
async function davDisplayName(url: string, path: string): Promise<string | undefined> {
  const response = await fetch(`${url}/dav/${USER}/${path}/`, {
    method: 'PROPFIND',
    headers: { authorization, depth: '0', 'content-type': 'application/xml' },
    body: '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/></d:prop></d:propfind>',
  });
  const text = await response.text();
  assert.equal(response.status, 207, `PROPFIND ${path}: ${text}`);
  return /<d:displayname>([^<]*)<\/d:displayname>/.exec(text)?.[1];
}

/** A device's collections hold every name and colour made before the disaster. */
async function assertCollectionsNamed(name: string): Promise<void> {
  const collections = await withReplica(stateOf(name), (client) => client.collections());
  for (const [path, expected] of collectionNames) {
    const found = collections.find((c) => c.path === path);
    assert.ok(found, `${name} knows the collection ${path}`);
    assert.equal(found.props.displayName, expected.displayName, `${name}: ${path} is called ${expected.displayName}`);
    if (expected.color) assert.equal(found.props.color, expected.color, `${name}: ${path} keeps its colour`);
  }
}

/** Every file under `dir`, by its path relative to it. */
async function filesUnder(dir: string): Promise<Map<string, Uint8Array>> {
  const found = new Map<string, Uint8Array>();
  const walk = async (current: string) => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) await walk(path);
      else found.set(relative(dir, path), new Uint8Array(await readFile(path)));
    }
  };
  await walk(dir);
  return found;
}

/** `holdfast device export` of a device, checked against the originals: all there, byte for byte, nothing else. */
async function assertExportHoldsEverything(name: string): Promise<void> {
  const out = join(temporary.dir, 'exports', `${name}-${Date.now()}`);
  const exported = await holdfast(['device', 'export', '--state', stateOf(name), '--to', out, '--json']);
  assert.equal(exported.code, 0, exported.stderr);
  const files = await filesUnder(out);
  for (const [key, content] of originals) {
    const got = files.get(key);
    assert.ok(got, `${name}: ${key} is exported`);
    assert.ok(Buffer.from(got).equals(Buffer.from(content)), `${name}: ${key} is byte-identical`);
  }
  for (const key of deleted) assert.ok(!files.has(key), `${name}: the deleted ${key} did not come back`);
  assert.equal(files.size, originals.size, `${name}: nothing else was exported: ${[...files.keys()].filter((k) => !originals.has(k)).join(', ')}`);
}

before(async () => {
  temporary = await temporaryDirectory();
});

after(async () => {
  await server?.stop();
  await temporary.cleanup();
});

describe('the Sidekick drill: the server is destroyed and started empty; the devices heal it', () => {
  let firstUrl = '';
  const before: Map<string, Map<string, { headId: string; content: Uint8Array | null }>> = new Map();

  it('three devices hold contacts, events, notes and photos, made on the devices and through the server', async () => {
    server = await serverWithUser(join(temporary.dir, 'data-1'));
    firstUrl = server.url;
    for (const name of devices) await sync(name, firstUrl);

    for (const [index, name] of devices.entries()) {
      const n = index + 1;
      const made: [string, string, string, Uint8Array, string][] = [
        ['contacts', 'contacts', `person-${n}a.vcf`, bytes(vcard(`person-${n}a`, `Person ${n} A`)), 'text/vcard'],
        ['contacts', 'contacts', `person-${n}b.vcf`, bytes(vcard(`person-${n}b`, `Person ${n} B`)), 'text/vcard'],
        ['calendar', 'calendar', `event-${n}.ics`, bytes(vevent(`event-${n}`, `Event ${n}`, n)), 'text/calendar'],
        ['notes', 'notes', `note-${n}.md`, bytes(`# Note ${n}\n\nwritten on ${name}\n`), 'text/markdown'],
        ['notes', 'notes', `list-${n}.json`, bytes(JSON.stringify({ title: `list ${n}`, items: ['milk', 'eggs'] })), 'application/json'],
        // Large photos travel as blobs (over 64 KiB), small ones inline.
        ['photos/2026', 'files', `IMG_${n}00.jpg`, await noiseJpeg(100 + n, 256, 256), 'image/jpeg'],
        ['photos/2026', 'files', `IMG_${n}01.jpg`, await noiseJpeg(200 + n, 320, 240), 'image/jpeg'],
        ['photos/2026', 'files', `thumb_${n}.jpg`, await noiseJpeg(300 + n, 16, 16), 'image/jpeg'],
      ];
      await withReplica(stateOf(name), async (client) => {
        for (const [collection, kind, item, content, type] of made) {
          await client.put(collection, kind, item, content, type);
          originals.set(`${collection}/${item}`, content);
        }
        // An item with a history: its last edit is what must survive.
        const edited = bytes(`# Note ${n}\n\nwritten on ${name}, then edited\n`);
        await client.put('notes', 'notes', `note-${n}.md`, edited, 'text/markdown');
        originals.set(`notes/note-${n}.md`, edited);
        await client.put('notes', 'notes', `scratch-${n}.txt`, bytes('deleted before the disaster'), 'text/plain');
        await client.delete('notes', `scratch-${n}.txt`);
        deleted.add(`notes/scratch-${n}.txt`);
      });
      assert.ok(originals.get(`photos/2026/IMG_${n}00.jpg`)!.byteLength > 64 * 1024);
      assert.ok(originals.get(`photos/2026/thumb_${n}.jpg`)!.byteLength < 64 * 1024);
    }

    // Through the server, as a phone's CardDAV, CalDAV and WebDAV apps write.
    const davContact = bytes(vcard('made-over-carddav', 'Made Over CardDAV'));
    const davEvent = bytes(vevent('made-over-caldav', 'Made over CalDAV', 20));
    const davPhoto = await noiseJpeg(999, 400, 300);
    await put(firstUrl, 'contacts/made-over-carddav.vcf', davContact, 'text/vcard');
    await put(firstUrl, 'calendar/made-over-caldav.ics', davEvent, 'text/calendar');
    await put(firstUrl, 'files/phone-backup.jpg', davPhoto, 'image/jpeg');
    originals.set('contacts/made-over-carddav.vcf', davContact);
    originals.set('calendar/made-over-caldav.ics', davEvent);
    originals.set('files/phone-backup.jpg', davPhoto);
    // A phone names the calendar and the address book; a laptop names the photo album and
    // makes a task list it has not used yet.
    await proppatch(firstUrl, 'calendar', 'Family', '#3366CCFF');
    await proppatch(firstUrl, 'contacts', 'Friends and family');
    collectionNames.set('calendar', { displayName: 'Family', color: '#3366CCFF' });
    collectionNames.set('contacts', { displayName: 'Friends and family' });
    await withReplica(stateOf('laptop-1'), async (client) => {
      await client.setCollectionProps('photos/2026', 'files', { displayName: 'Summer 2026' });
      await client.setCollectionProps('errands', 'tasks', { displayName: 'Errands', color: '#00AA00FF' });
    });
    collectionNames.set('photos/2026', { displayName: 'Summer 2026' });
    collectionNames.set('errands', { displayName: 'Errands', color: '#00AA00FF' });

    // Two rounds: each device's writes reach the others.
    for (const name of devices) await sync(name, firstUrl);
    for (const name of devices) await sync(name, firstUrl);
    // Two devices edit different fields of one contact: the server merges them.
    const base = ['BEGIN:VCARD', 'VERSION:4.0', 'UID:person-3b', 'FN:Person 3 B', 'N:Person 3 B;;;;'];
    const emailEdit = bytes([...base, 'EMAIL:person-3b@example.com', 'END:VCARD', ''].join('\r\n'));
    const phoneEdit = bytes([...base, 'EMAIL:person-3b@example.org', 'TEL;TYPE=cell:+1-555-0100', 'END:VCARD', ''].join('\r\n'));
    await withReplica(stateOf('laptop-2'), (client) => client.put('contacts', 'contacts', 'person-3b.vcf', emailEdit, 'text/vcard'));
    await sync('laptop-2', firstUrl);
    await withReplica(stateOf('laptop-1'), (client) => client.put('contacts', 'contacts', 'person-3b.vcf', phoneEdit, 'text/vcard'));
    await sync('laptop-1', firstUrl);
    const merged = (await replicaItems(stateOf('laptop-1'))).get('contacts/person-3b.vcf')?.content;
    assert.ok(merged);
    const mergedText = new TextDecoder().decode(merged);
    assert.match(mergedText, /EMAIL:person-3b@example\.com/);
    assert.match(mergedText, /TEL;TYPE=cell:\+1-555-0100/);
    originals.set('contacts/person-3b.vcf', merged);
    for (const name of devices) await sync(name, firstUrl);

    for (const name of devices) {
      assert.equal((await replicaItems(stateOf(name))).size, originals.size, `${name} holds every item`);
      await assertExportHoldsEverything(name);
      await assertCollectionsNamed(name);
    }
  });

  it('just before the disaster, each device holds something no other device has', async () => {
    // A late note and photo on each, synced in turn: laptop-1 never sees laptop-2's and
    // laptop-3's, laptop-2 never sees laptop-3's (the server had them all, then lost them).
    for (const [index, name] of devices.entries()) {
      const n = index + 1;
      const note = bytes(`late note from ${name}\n`);
      const photo = await noiseJpeg(400 + n, 256, 256);
      await withReplica(stateOf(name), async (client) => {
        await client.put('notes', 'notes', `late-${n}.md`, note, 'text/markdown');
        await client.put('photos/2026', 'files', `IMG_${n}99.jpg`, photo, 'image/jpeg');
      });
      originals.set(`notes/late-${n}.md`, note);
      originals.set(`photos/2026/IMG_${n}99.jpg`, photo);
      await sync(name, firstUrl);
    }
    // Then each makes a change while offline: it is only in that device's outbox when the server dies.
    const offline: [string, string, string, Uint8Array, string][] = [
      ['laptop-1', 'notes', 'offline-1.md', bytes('a new note written offline on laptop-1\n'), 'text/markdown'],
      ['laptop-2', 'contacts', 'person-1a.vcf', bytes(vcard('person-1a', 'Person 1 A, edited offline on laptop-2')), 'text/vcard'],
      ['laptop-3', 'notes', 'note-2.md', bytes('# Note 2\n\nedited offline on laptop-3\n'), 'text/markdown'],
    ];
    for (const [name, collection, item, content, type] of offline) {
      await withReplica(stateOf(name), (client) => client.put(collection, collection, item, content, type));
      originals.set(`${collection}/${item}`, content);
    }

    for (const name of devices) {
      const items = await replicaItems(stateOf(name));
      before.set(name, new Map([...items].map(([key, item]) => [key, { headId: item.headId, content: item.content }])));
    }
  });

  it('the server dies and its data directory is destroyed; a new empty server starts; every device reports that it healed it', async () => {
    assert.ok(server);
    await server.kill();
    await rm(join(temporary.dir, 'data-1'), { recursive: true, force: true });
    await assert.rejects(stat(join(temporary.dir, 'data-1')), 'the data is gone, and there is no backup');

    // The account is not in the devices' data: the administrator makes it again.
    server = await serverWithUser(join(temporary.dir, 'data-2'));
    assert.notEqual(server.url, firstUrl);
    for (const name of devices) {
      const report = await sync(name, server.url, ['--server-moved']);
      assert.equal(report.healed, true, `${name} healed`);
      console.log(`${name} healed the new server: pushed back ${report.healPushed} revisions it lacked, pulled ${report.pulled}`);
      // laptop-1 pushes back the history it held; each of the others at least its late items and its offline change.
      assert.ok(report.healPushed >= (name === 'laptop-1' ? originals.size - 4 : 3), `${name} pushed back what only it held`);
      assert.deepEqual(report.conflicts, [], `${name}: the heal replays history, it does not collide with it`);
    }

    // Heal deleted nothing on any device. What a device held is still there; where another
    // device knew a later edit, the device now has that edit.
    for (const name of devices) {
      const after = await replicaItems(stateOf(name));
      for (const [key, item] of before.get(name)!) {
        const now = after.get(key);
        assert.ok(now, `${name}: ${key} was not deleted by the heal`);
        if (now.headId !== item.headId) assert.deepEqual(now.content, originals.get(key), `${name}: ${key} moved only to its later edit`);
      }
    }
    // The last device to heal pulled everything the others pushed back.
    const last = await replicaItems(stateOf('laptop-3'));
    for (const [key, content] of originals) assert.deepEqual(last.get(key)?.content, content, `laptop-3 holds ${key} as last written`);
  });

  it('the healed server itself serves every item byte for byte over DAV, and not the deleted ones', async () => {
    assert.ok(server);
    for (const [key, content] of originals) {
      const response = await fetch(`${server.url}/dav/${USER}/${key}`, { headers: { authorization } });
      assert.equal(response.status, 200, `GET ${key}`);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(content)), `${key} is byte-identical on the server`);
    }
    for (const key of deleted) {
      const response = await fetch(`${server.url}/dav/${USER}/${key}`, { headers: { authorization } });
      await response.arrayBuffer();
      assert.equal(response.status, 404, `the deleted ${key} is still deleted`);
    }
    // The names a phone shows come back too, and the task list that held nothing.
    for (const [path, expected] of collectionNames) {
      assert.equal(await davDisplayName(server.url, path), expected.displayName, `the healed server calls ${path} ${expected.displayName}`);
    }
  });

  it('a fourth device starting from nothing gets every item of every kind, byte for byte, and no deleted one', async () => {
    assert.ok(server);
    const report = await sync('laptop-4', server.url);
    assert.equal(report.healed, false, 'a new device has nothing to heal');
    assert.ok(report.pulled >= originals.size);
    await assertExportHoldsEverything('laptop-4');
    await assertCollectionsNamed('laptop-4');
    const status = await holdfast(['device', 'status', '--state', stateOf('laptop-4'), '--json']);
    const json = JSON.parse(status.stdout) as { outbox: number; refused: number };
    assert.equal(json.outbox, 0);
    assert.equal(json.refused, 0);
  });

  it('a device reset to nothing (its state directory deleted) gets everything back from the healed server, byte for byte', async () => {
    assert.ok(server);
    await rm(stateOf('laptop-2'), { recursive: true, force: true });
    const report = await sync('laptop-2', server.url);
    assert.equal(report.healed, false);
    assert.ok(report.pulled >= originals.size);
    await assertExportHoldsEverything('laptop-2');
    await assertCollectionsNamed('laptop-2');
  });

  it('after all that, the other devices sync without a conflict and still hold everything', async () => {
    assert.ok(server);
    for (const name of ['laptop-1', 'laptop-3']) {
      const report = await sync(name, server.url);
      assert.equal(report.healed, false);
      assert.deepEqual(report.conflicts, []);
      await assertExportHoldsEverything(name);
    }
  });
});

describe('a device that is watching heals, by itself, a server that comes back empty at the same address', () => {
  it('the server is destroyed and comes back empty on its port; the watching device heals it without being asked, and a new device gets everything', async () => {
    let watched: ServerProcess = await serverWithUser(join(temporary.dir, 'watch-data-1'));
    const url = watched.url;
    const port = Number(new URL(url).port);
    const watcher = join(temporary.dir, 'devices', 'watcher');
    const made = new Map<string, Uint8Array>([
      ['contacts/watch-contact.vcf', bytes(vcard('watch-contact', 'Watched Contact'))],
      ['calendar/watch-event.ics', bytes(vevent('watch-event', 'Watched event', 9))],
      ['notes/watch-note.md', bytes('kept by a watching laptop\n')],
      ['photos/watch/IMG_0001.jpg', await noiseJpeg(777, 256, 256)],
    ]);
    const kinds: Record<string, string> = { contacts: 'contacts', calendar: 'calendar', notes: 'notes', photos: 'files' };
    const types: Record<string, string> = { contacts: 'text/vcard', calendar: 'text/calendar', notes: 'text/markdown', photos: 'image/jpeg' };
    assert.equal((await deviceSync(watcher, url)).code, 0);
    await withReplica(watcher, async (client) => {
      for (const [key, content] of made) {
        const slash = key.lastIndexOf('/');
        const top = key.slice(0, key.indexOf('/'));
        await client.put(key.slice(0, slash), kinds[top]!, key.slice(slash + 1), content, types[top]!);
      }
    });
    assert.equal((await deviceSync(watcher, url)).code, 0);

    const device = watchDevice(watcher, url);
    const waitFor = async (what: string, found: () => boolean) => {
      // Backoff after the server vanished is at most a minute; this is a bound, not a measurement.
      for (let i = 0; i < 1200 && !found(); i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(found(), `${what}:\n${device.stdout()}\n${device.stderr()}`);
    };
    try {
      await waitFor('the watcher connects', () => device.lines().some((line) => line.state === 'connected' || line.state === 'idle'));
      await watched.kill();
      await rm(join(temporary.dir, 'watch-data-1'), { recursive: true, force: true });
      // The account is made before the new server opens, so the watcher never meets it without one.
      watched = await serverWithUser(join(temporary.dir, 'watch-data-2'), { port, userFirst: true });
      assert.equal(watched.url, url);
      await waitFor('the watcher heals the new server', () => device.lines().some((line) => line.event === 'synced' && line.healed === true));
    } finally {
      assert.equal(await device.stop(), 0, device.stderr());
    }
    try {
      const fresh = join(temporary.dir, 'devices', 'after-watch');
      assert.equal((await deviceSync(fresh, url)).code, 0);
      const items = await replicaItems(fresh);
      for (const [key, content] of made) assert.deepEqual(items.get(key)?.content, content, `${key} is back on the server, byte for byte`);
      assert.equal((await replicaItems(watcher)).size, made.size, 'the watcher lost nothing');
    } finally {
      await watched.stop();
    }
  });
});
