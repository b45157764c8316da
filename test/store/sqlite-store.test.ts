// The SQLite engine on a real database file and a real blob directory: the shared
// contract, then what only this engine has (its files, its migrations, its marker).
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile, readFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { LOCK_FILE } from '../../src/store/directory-lock.ts';
import { after, describe, it } from 'node:test';
import { DATABASE_FILE, MARKER_FILE } from '../../src/store/data-directory.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { OpenStoreOptions } from '../../src/store/open-store.ts';
import { MIGRATIONS } from '../../src/store/sqlite/schema.ts';
import type { Migration } from '../../src/store/sqlite/migrate.ts';
import type { Store } from '../../src/store/store.ts';
import type { Content } from '../../src/store/types.ts';
import { readAll, runStoreContract, sha256 } from './store-contract.ts';

const INLINE_LIMIT = 1024;
const made: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-sqlite-'));
  made.push(dir);
  return dir;
}

after(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function mustOpen(options: OpenStoreOptions): Promise<Store> {
  const result = await openStore({ inlineLimitBytes: INLINE_LIMIT, ...options });
  if (result.kind !== 'opened') throw new Error(`expected the store to open: ${result.reason}`);
  return result.store;
}

runStoreContract('SQLite + local directory', async () => {
  const dataDir = join(await tempDir(), 'data');
  let store = await mustOpen({ dataDir });
  return {
    get store() {
      return store;
    },
    inlineLimitBytes: INLINE_LIMIT,
    async reopen() {
      await store.close();
      store = await mustOpen({ dataDir });
      return store;
    },
    async cleanup() {
      await store.close();
    },
  };
});

async function storeWithOneItem(dataDir: string, body: Buffer) {
  const store = await mustOpen({ dataDir });
  const created = await store.accounts.createUser('ann', 'h');
  assert.ok(created.kind === 'created');
  const user = store.forUser(created.user.id);
  await user.createCollection({ name: 'files', kind: 'files' });
  const written = await user.putItem('files', 'f', body, { contentType: 'application/octet-stream', author: 't' });
  assert.ok(written.kind === 'written');
  return { store, user, revision: written.revision };
}

describe('SQLite data directory', () => {
  it('initialises an empty directory with a marker naming the store, and opens it again as the same store', async () => {
    const dataDir = join(await tempDir(), 'data');
    const first = await openStore({ dataDir });
    assert.ok(first.kind === 'opened');
    assert.equal(first.initialized, true);
    const identity = await first.store.identity();
    await first.store.close();
    const marker = JSON.parse(await readFile(join(dataDir, MARKER_FILE), 'utf8')) as { storeId: string; state: string };
    assert.equal(marker.storeId, identity.storeId);
    assert.equal(marker.state, 'ready');

    const second = await openStore({ dataDir, expectedStoreId: identity.storeId });
    assert.ok(second.kind === 'opened');
    assert.equal(second.initialized, false);
    assert.deepEqual(await second.store.identity(), identity);
    await second.store.close();
  });

  it('refuses an empty directory when the configuration says a store exists (an unmounted disk)', async () => {
    const dataDir = await tempDir();
    const result = await openStore({ dataDir, expectedStoreId: '6f1c1c86-3d5e-4f55-9a7e-0d1f0a1b2c3d' });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, /is empty, but the configuration says it holds store 6f1c1c86/);
    assert.match(result.reason, /mounted/);
    assert.deepEqual(await readdir(dataDir), [], 'nothing was written');
  });

  it('refuses a directory that holds another store', async () => {
    const dataDir = join(await tempDir(), 'data');
    const store = await mustOpen({ dataDir });
    const { storeId } = await store.identity();
    await store.close();
    const result = await openStore({ dataDir, expectedStoreId: 'a-different-store-id' });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, new RegExp(`holds store ${storeId}, but the configuration expects store a-different-store-id`));
  });

  it('refuses a non-empty directory without a marker instead of adopting it', async () => {
    const dataDir = await tempDir();
    await writeFile(join(dataDir, 'photos.txt'), 'someone else’s files');
    const result = await openStore({ dataDir });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, /not empty and holds no Holdfast store \(it has photos\.txt\)/);
    assert.deepEqual(await readdir(dataDir), ['photos.txt']);
  });

  it('refuses to start an empty store where the database has gone missing', async () => {
    const dataDir = join(await tempDir(), 'data');
    const store = await mustOpen({ dataDir });
    await store.close();
    await unlink(join(dataDir, DATABASE_FILE));
    const result = await openStore({ dataDir });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, /database metadata\.sqlite is missing.*restore the data directory from a backup/);
    assert.ok(!(await readdir(dataDir)).includes(DATABASE_FILE), 'no new database was made');
  });

  it('refuses a damaged marker and a database copied in from another store', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir })).close();
    const markerPath = join(dataDir, MARKER_FILE);
    const marker = await readFile(markerPath, 'utf8');

    await writeFile(markerPath, '{ not json');
    const damaged = await openStore({ dataDir });
    assert.ok(damaged.kind === 'refused');
    assert.match(damaged.reason, /holdfast-store\.json is damaged: it is not valid JSON/);

    await writeFile(markerPath, marker.replace(/"storeId": "[^"]+"/, '"storeId": "someone-else"'));
    const foreign = await openStore({ dataDir });
    assert.ok(foreign.kind === 'refused');
    assert.match(foreign.reason, /belongs to store .*, but the directory's marker says someone-else/);
  });

  it('finishes a first start that crashed before the store was ready', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir })).close();
    const markerPath = join(dataDir, MARKER_FILE);
    const marker = JSON.parse(await readFile(markerPath, 'utf8')) as { storeId: string };
    await writeFile(markerPath, JSON.stringify({ ...marker, state: 'initializing' }));
    await writeFile(join(dataDir, DATABASE_FILE), 'half-written garbage');
    const result = await openStore({ dataDir });
    assert.ok(result.kind === 'opened');
    assert.equal(result.initialized, true);
    assert.equal((await result.store.identity()).storeId, marker.storeId);
    await result.store.close();
  });

  it('leaves an interrupted first start for the server to finish when asked not to create (the CLI)', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir })).close();
    const markerPath = join(dataDir, MARKER_FILE);
    const marker = JSON.parse(await readFile(markerPath, 'utf8')) as Record<string, string>;
    await writeFile(markerPath, JSON.stringify({ ...marker, state: 'initializing' }));
    const result = await openStore({ dataDir, initializeIfEmpty: false });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, /has not finished its first start/);
  });

  it('does not create a store when asked not to (the CLI)', async () => {
    const dataDir = join(await tempDir(), 'nothing-here');
    const result = await openStore({ dataDir, initializeIfEmpty: false });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, /no Holdfast store in .*nothing-here/);
    await assert.rejects(readdir(dataDir), { code: 'ENOENT' });
  });

  it('removes temporary files left by a crashed write when the owner opens it', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir })).close();
    await writeFile(join(dataDir, 'blobs', 'tmp', 'upload-left-by-a-crash'), 'partial');
    await (await mustOpen({ dataDir })).close();
    assert.deepEqual(await readdir(join(dataDir, 'blobs', 'tmp')), ['upload-left-by-a-crash'], 'the CLI leaves them alone');
    await (await mustOpen({ dataDir, cleanTemporaryFiles: true })).close();
    assert.deepEqual(await readdir(join(dataDir, 'blobs', 'tmp')), []);
  });
});

describe('SQLite data directory owner', () => {
  it('refuses a second owner while the first holds the directory, and lets visitors (the CLI) in', async () => {
    const dataDir = join(await tempDir(), 'data');
    const owner = await mustOpen({ dataDir, cleanTemporaryFiles: true });
    const second = await openStore({ dataDir, cleanTemporaryFiles: true });
    assert.ok(second.kind === 'refused');
    assert.match(second.reason, new RegExp(`another Holdfast server \\(process ${process.pid} on .*\\) is using ${dataDir}; stop it first`));
    const visitor = await mustOpen({ dataDir, initializeIfEmpty: false });
    await visitor.close();
    await owner.close();
    await (await mustOpen({ dataDir, cleanTemporaryFiles: true })).close();
  });

  it('takes over the lock of an owner that crashed', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir })).close();
    // A process that has exited: its pid names no running process.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const lock = { pid: Number(gone.stdout), host: hostname(), since: '2026-01-01T00:00:00.000Z' };
    await writeFile(join(dataDir, LOCK_FILE), JSON.stringify(lock));
    const store = await mustOpen({ dataDir, cleanTemporaryFiles: true });
    assert.equal((JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8')) as { pid: number }).pid, process.pid);
    await store.close();
    await assert.rejects(readFile(join(dataDir, LOCK_FILE)), { code: 'ENOENT' }, 'closing releases the lock');
  });

  it('creates a store in a new directory as its owner, and a lock file alone does not make a directory foreign', async () => {
    const dataDir = join(await tempDir(), 'new', 'data');
    const first = await openStore({ dataDir, cleanTemporaryFiles: true });
    assert.ok(first.kind === 'opened');
    assert.equal(first.initialized, true);
    await first.store.close();

    const other = await tempDir();
    await writeFile(join(other, LOCK_FILE), 'garbage left by a crash');
    const adopted = await openStore({ dataDir: other, cleanTemporaryFiles: true });
    assert.ok(adopted.kind === 'opened');
    assert.equal(adopted.initialized, true);
    await adopted.store.close();
  });
});

describe('SQLite content verification', () => {
  it('never serves a blob whose bytes no longer match their hash, and the integrity check names it', async () => {
    const dataDir = join(await tempDir(), 'data');
    const body = Buffer.alloc(INLINE_LIMIT * 4, 7);
    const { store, user, revision } = await storeWithOneItem(dataDir, body);
    const hash = sha256(body);
    await writeFile(join(dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash), Buffer.alloc(body.length, 8));
    const content = await user.readContent(revision.id);
    assert.ok(content);
    await assert.rejects(readAll(content));
    const report = await store.checkIntegrity({ verifyBlobContent: true });
    assert.equal(report.ok, false);
    assert.deepEqual(report.problems.map((p) => p.kind), ['blob-hash-mismatch']);
    await store.close();
  });

  it('reports a missing blob and fails the read instead of answering with nothing', async () => {
    const dataDir = join(await tempDir(), 'data');
    const body = Buffer.alloc(INLINE_LIMIT * 2, 1);
    const { store, user, revision } = await storeWithOneItem(dataDir, body);
    const hash = sha256(body);
    await unlink(join(dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash));
    const content = await user.readContent(revision.id);
    assert.ok(content);
    await assert.rejects(readAll(content), /blob .* is missing/);
    const report = await store.checkIntegrity();
    assert.deepEqual(report.problems.map((p) => p.kind), ['missing-blob']);
    await store.close();
  });

  it('never serves inline content that no longer matches its hash', async () => {
    const dataDir = join(await tempDir(), 'data');
    const { store, user, revision } = await storeWithOneItem(dataDir, Buffer.from('small and inline'));
    await store.close();
    const db = new Database(join(dataDir, DATABASE_FILE));
    db.prepare('UPDATE revisions SET inline_content = ? WHERE id = ?').run(Buffer.from('tampered'), revision.id);
    db.close();
    const reopened = await mustOpen({ dataDir });
    const content = await reopened.forUser(user.userId).readContent(revision.id);
    assert.ok(content);
    await assert.rejects(readAll(content), /does not match its hash/);
    assert.deepEqual((await reopened.checkIntegrity()).problems.map((p) => p.kind), ['inline-hash-mismatch']);
    await reopened.close();
  });
});

describe('SQLite schema migrations', () => {
  const V2: Migration = {
    version: MIGRATIONS.length + 1,
    description: 'test: a column added by a later release',
    up(db) {
      db.exec('ALTER TABLE users ADD COLUMN test_column TEXT');
    },
  };

  it('writes and checks a copy of the database before migrating an existing store', async () => {
    const dataDir = join(await tempDir(), 'data');
    const { store, revision } = await storeWithOneItem(dataDir, Buffer.from('before the upgrade'));
    await store.close();
    const result = await openStore({ dataDir, migrations: [...MIGRATIONS, V2] });
    assert.ok(result.kind === 'opened');
    assert.equal(result.migratedFrom, MIGRATIONS.length);
    assert.ok(result.migrationCopy);
    const copy = new Database(result.migrationCopy, { readonly: true });
    assert.equal(copy.pragma('user_version', { simple: true }), MIGRATIONS.length);
    assert.equal((copy.prepare('SELECT count(*) AS n FROM revisions WHERE id = ?').get(revision.id) as { n: number }).n, 1);
    copy.close();
    await result.store.close();
  });

  it('refuses to migrate, and leaves the database as it was, when the copy cannot be written', async () => {
    const dataDir = join(await tempDir(), 'data');
    const { store } = await storeWithOneItem(dataDir, Buffer.from('before the upgrade'));
    await store.close();
    // A file where the copies' directory should be: the copy cannot be made.
    await rm(join(dataDir, 'pre-migration'), { recursive: true, force: true });
    await writeFile(join(dataDir, 'pre-migration'), 'in the way');
    const result = await openStore({ dataDir, migrations: [...MIGRATIONS, V2] });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, new RegExp(`refusing to migrate the schema from version ${MIGRATIONS.length} to ${V2.version}`));
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length, 'the schema is untouched');
    db.close();
  });

  it('upgrades a store made by the first schema: its collections become top-level paths and keep their items', async () => {
    const dataDir = join(await tempDir(), 'data');
    // A version-1 store, with rows written the way version 1 wrote them (today's engine
    // code needs the version-2 columns, so the rows go in by SQL).
    await (await mustOpen({ dataDir, migrations: MIGRATIONS.slice(0, 1) })).close();
    const v1 = new Database(join(dataDir, DATABASE_FILE));
    const at = '2026-01-01T00:00:00.000Z';
    v1.exec(`
      INSERT INTO users (id, name, password_hash, created_at) VALUES (1, 'old', 'h', '${at}');
      INSERT INTO collections (id, user_id, name, kind, props, created_at, updated_at, seq) VALUES (1, 1, 'contacts', 'contacts', '{}', '${at}', '${at}', 1);
      INSERT INTO changes (seq, user_id, collection_id, at) VALUES (1, 1, 1, '${at}');
      INSERT INTO items (id, collection_id, name, head_revision_id, deleted) VALUES (1, 1, 'a.vcf', 'rev-0000001', 0);
      INSERT INTO changes (seq, user_id, collection_id, revision_id, at) VALUES (2, 1, 1, 'rev-0000001', '${at}');
    `);
    const body = Buffer.from('BEGIN:VCARD\r\nEND:VCARD\r\n');
    v1.prepare(
      `INSERT INTO revisions (id, item_id, seq, deleted, content_hash, size, content_type, storage, inline_content, author, created_at)
       VALUES ('rev-0000001', 1, 2, 0, ?, ?, 'text/vcard', 'inline', ?, 't', ?)`,
    ).run(sha256(body), body.length, body, at);
    v1.close();

    const upgraded = await openStore({ dataDir });
    assert.ok(upgraded.kind === 'opened');
    assert.equal(upgraded.migratedFrom, 1);
    const user = upgraded.store.forUser(1);
    const collection = await user.getCollection('contacts');
    assert.equal(collection?.path, 'contacts');
    assert.equal(collection?.parentId, null);
    const item = await user.getItem('contacts', 'a.vcf');
    assert.equal(item?.head.id, 'rev-0000001');
    assert.deepEqual(item?.props, {});
    assert.deepEqual(await readAll((await user.readContent('rev-0000001')) as Content), body);
    assert.equal((await user.createCollection({ name: 'child', kind: 'files', parent: 'contacts' })).kind, 'created');
    assert.ok((await upgraded.store.checkIntegrity()).ok);
    await upgraded.store.close();
  });

  it('upgrades a store made by the second schema: usage is counted from live content, and every user gets a files folder unless they have one', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir, migrations: MIGRATIONS.slice(0, 2) })).close();
    // Rows as version 2 wrote them (today's engine needs the version-3 columns). ann has a
    // live item with an older revision, an item in the trash and a collection in the trash;
    // bob keeps notes in a top-level collection named "files"; carol's "files" is in the trash.
    const v2 = new Database(join(dataDir, DATABASE_FILE));
    const at = '2026-01-01T00:00:00.000Z';
    const rows: Array<[string, ...unknown[]]> = [
      ['INSERT INTO users (id, name, password_hash, created_at) VALUES (?, ?, ?, ?)', 1, 'ann', 'h', at],
      ['INSERT INTO users (id, name, password_hash, created_at) VALUES (?, ?, ?, ?)', 2, 'bob', 'h', at],
      ['INSERT INTO users (id, name, password_hash, created_at) VALUES (?, ?, ?, ?)', 3, 'carol', 'h', at],
    ];
    const collection = (id: number, userId: number, name: string, kind: string, deletedAt: string | null) =>
      rows.push([
        `INSERT INTO collections (id, user_id, name, path, kind, props, created_at, updated_at, deleted_at, seq, parent_id, deleted_with)
         VALUES (?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, NULL, ?)`,
        id, userId, name, name, kind, at, at, deletedAt, id, deletedAt === null ? null : id,
      ]);
    collection(1, 1, 'contacts', 'contacts', null);
    collection(2, 1, 'old', 'files', at);
    collection(3, 2, 'files', 'notes', null);
    collection(4, 3, 'files', 'files', at);
    let seq = 4;
    const revision = (id: string, itemId: number, body: Buffer | null, parent: string | null) => {
      seq += 1;
      rows.push([
        `INSERT INTO revisions (id, item_id, parent_id, seq, deleted, content_hash, size, content_type, storage, inline_content, author, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 't', ?)`,
        id, itemId, parent, seq, body === null ? 1 : 0, body === null ? null : sha256(body), body?.length ?? 0,
        body === null ? null : 'text/plain', body === null ? 'none' : 'inline', body, at,
      ]);
    };
    const item = (id: number, collectionId: number, name: string, head: string, deleted: boolean) =>
      rows.push(['INSERT INTO items (id, collection_id, name, head_revision_id, deleted) VALUES (?, ?, ?, ?, ?)', id, collectionId, name, head, deleted ? 1 : 0]);
    item(1, 1, 'live.vcf', 'rev-live-2', false);
    revision('rev-live-1', 1, Buffer.alloc(500), null);
    revision('rev-live-2', 1, Buffer.alloc(30), 'rev-live-1');
    item(2, 1, 'binned.vcf', 'rev-binned-2', true);
    revision('rev-binned-1', 2, Buffer.alloc(200), null);
    revision('rev-binned-2', 2, null, 'rev-binned-1');
    item(3, 2, 'in-trashed-collection', 'rev-trashed-1', false);
    revision('rev-trashed-1', 3, Buffer.alloc(300), null);
    item(4, 3, 'note', 'rev-note-1', false);
    revision('rev-note-1', 4, Buffer.alloc(12), null);
    v2.pragma('foreign_keys = OFF');
    for (const [sql, ...values] of rows) v2.prepare(sql).run(...values);
    for (let n = 1; n <= seq; n += 1) v2.prepare("INSERT INTO changes (seq, user_id, collection_id, at) VALUES (?, 1, 1, ?)").run(n, at);
    v2.close();

    const upgraded = await openStore({ dataDir, defaultQuotaBytes: 10_000 });
    assert.ok(upgraded.kind === 'opened');
    assert.equal(upgraded.migratedFrom, 2);
    assert.ok(upgraded.migrationCopy, 'a safety copy was made first');
    const { store } = upgraded;
    const ann = store.forUser(1);
    assert.deepEqual(await ann.usage(), { usedBytes: 30, quotaBytes: 10_000 }, 'only the live head counts: not history, not the trash');
    assert.deepEqual(await store.forUser(2).usage(), { usedBytes: 12, quotaBytes: 10_000 });
    assert.deepEqual((await store.accounts.getUser(1))?.quotaBytes, null, 'nobody has a quota of their own yet');

    assert.deepEqual(
      (await ann.listCollections()).map((c) => [c.path, c.kind, c.props.displayName ?? null]),
      [['contacts', 'contacts', null], ['files', 'files', 'Files']],
    );
    const bobs = await store.forUser(2).listCollections();
    assert.deepEqual(bobs.map((c) => [c.path, c.kind]), [['files', 'notes']], "bob's own \"files\" is kept as it was");
    assert.deepEqual((await store.forUser(3).listCollections()).map((c) => [c.path, c.kind]), [['files', 'files']]);
    const annChanges = await ann.changesSince({ after: seq });
    assert.deepEqual(
      annChanges.map((c) => c.kind === 'collection' && [c.collection.path, c.collection.seq === c.seq]),
      [['files', true]],
      'the new folder is in the change log, so phones and backups see it',
    );

    // The kept figure goes on from the counted one.
    assert.equal((await ann.putItem('files', 'photo.jpg', Buffer.alloc(70), { contentType: 'image/jpeg', author: 't' })).kind, 'written');
    assert.equal((await ann.undelete('contacts', 'binned.vcf', { author: 't' })).kind, 'restored');
    assert.equal((await ann.usage()).usedBytes, 300);
    assert.ok((await store.checkIntegrity()).ok);
    await store.close();
  });

  it('applies the default quota it is opened with to users without one of their own', async () => {
    const dataDir = join(await tempDir(), 'data');
    const store = await mustOpen({ dataDir, defaultQuotaBytes: 100 });
    const made = await store.accounts.createUser('dee', 'h');
    assert.ok(made.kind === 'created');
    const user = store.forUser(made.user.id);
    assert.deepEqual(await user.usage(), { usedBytes: 0, quotaBytes: 100 });
    assert.equal((await user.putItem('files', 'a', Buffer.alloc(101), { contentType: 'x/y', author: 't' })).kind, 'over-quota');
    await store.accounts.setQuota(made.user.id, 1000);
    assert.equal((await user.putItem('files', 'a', Buffer.alloc(101), { contentType: 'x/y', author: 't' })).kind, 'written', 'their own quota wins');
    await store.close();

    const unlimited = await mustOpen({ dataDir });
    await unlimited.accounts.setQuota(made.user.id, null);
    assert.deepEqual(await unlimited.forUser(made.user.id).usage(), { usedBytes: 101, quotaBytes: null }, 'opened without a default: no limit');
    await unlimited.close();
  });

  it('leaves the upgrade to the server: an open that may not migrate refuses an older schema', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir })).close();
    const result = await openStore({ dataDir, migrations: [...MIGRATIONS, V2], migrateIfOlder: false });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, /start the server \('holdfast serve'\) once to upgrade it/);
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
    db.close();
  });

  it('refuses a database written by a newer Holdfast', async () => {
    const dataDir = join(await tempDir(), 'data');
    await (await mustOpen({ dataDir, migrations: [...MIGRATIONS, V2] })).close();
    const result = await openStore({ dataDir });
    assert.ok(result.kind === 'refused');
    assert.match(result.reason, /newer than this Holdfast knows/);
  });
});

describe('SQLite schema: conflict marks', () => {
  it('upgrades a store made before conflict marks: a safety copy first, then its items take marks', async () => {
    const dataDir = join(await tempDir(), 'data');
    const before = MIGRATIONS.findIndex((m) => m.description.startsWith('conflict marks'));
    assert.ok(before > 0, 'the conflict-marks migration is in the list');
    const older = MIGRATIONS.slice(0, before);
    const store = await mustOpen({ dataDir, migrations: older });
    const created = await store.accounts.createUser('ann', 'h');
    assert.ok(created.kind === 'created');
    await store.forUser(created.user.id).createCollection({ name: 'notebook', kind: 'notes' });
    const written = await store.forUser(created.user.id).putItem('notebook', 'n.txt', Buffer.from('made before the upgrade'), { contentType: 'text/plain', author: 't' });
    assert.ok(written.kind === 'written');
    const revision = written.revision;
    await store.close();

    const upgraded = await openStore({ dataDir });
    assert.ok(upgraded.kind === 'opened');
    assert.equal(upgraded.migratedFrom, older.length);
    assert.ok(upgraded.migrationCopy, 'a verified safety copy was written first');
    const copy = new Database(upgraded.migrationCopy, { readonly: true });
    assert.equal(copy.pragma('user_version', { simple: true }), older.length);
    copy.close();

    const user = upgraded.store.forUser(created.user.id);
    assert.equal((await user.getItem('notebook', 'n.txt'))?.head.id, revision.id, 'the old item is still there');
    const lost = await user.importRevision({
      collection: 'notebook',
      collectionKind: 'notes',
      name: 'n.txt',
      revisionId: 'after-upgrade-1',
      parentId: revision.id,
      expectedHeadId: revision.id,
      deleted: false,
      content: { kind: 'bytes', source: Buffer.from('a device edit') },
      contentType: 'text/plain',
      author: 'device',
      createdAt: '2020-01-01T00:00:00.000Z',
      then: { kind: 'conflict-head-wins', author: 'sync' },
    });
    assert.equal(lost.kind, 'written');
    assert.deepEqual((await user.listConflicts()).map((m) => m.revisionId), ['after-upgrade-1']);
    assert.ok((await upgraded.store.checkIntegrity()).ok);
    await upgraded.store.close();
  });
});
