// A schema upgrade of an existing store waits for a checked copy on the backup target, and
// without a target refuses unless the operator allows it. The store is a real older one:
// built with the schema as it was one version ago.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { writeFile } from 'node:fs/promises';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { startServer, ServerStartError } from '../../src/server/start-server.ts';
import { openStore } from '../../src/store/open-store.ts';
import { DATABASE_FILE } from '../../src/store/data-directory.ts';
import { MIGRATIONS } from '../../src/store/sqlite/schema.ts';
import { testConfig } from '../server/harness.ts';

const root = await mkdtemp(join(tmpdir(), 'holdfast-safe-upgrade-'));
after(() => rm(root, { recursive: true, force: true }));
const OLD = MIGRATIONS.slice(0, -1);
const OLD_VERSION = OLD.reduce((max, m) => Math.max(max, m.version), 0);
const NEW_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

async function olderStore(name: string): Promise<{ dataDir: string; storeId: string }> {
  const dataDir = join(root, name);
  const opened = await openStore({ dataDir, initializeIfEmpty: true, migrations: OLD });
  if (opened.kind !== 'opened') throw new Error(opened.reason);
  const { storeId } = await opened.store.identity();
  await opened.store.close();
  return { dataDir, storeId };
}

function versionOf(dataDir: string): number {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

test('without a backup target the upgrade is refused, saying exactly what to do, and nothing changes', async () => {
  assert.ok(OLD_VERSION >= 1 && OLD_VERSION < NEW_VERSION);
  const { dataDir } = await olderStore('no-target');
  const logs: string[] = [];
  await assert.rejects(startServer(testConfig(dataDir), { log: (line) => logs.push(line) }), (error: unknown) => {
    assert.ok(error instanceof ServerStartError);
    assert.match(error.message, new RegExp(`schema upgraded from version ${OLD_VERSION} to ${NEW_VERSION}`));
    assert.match(error.message, /HOLDFAST_BACKUP_TARGETS="dir:\/mnt\/backup"/);
    assert.match(error.message, /--allow-migration-without-backup/);
    return true;
  });
  assert.equal(versionOf(dataDir), OLD_VERSION, 'the schema was not touched');
});

test('with --allow-migration-without-backup the upgrade runs, with a warning', async () => {
  const { dataDir } = await olderStore('forced');
  const logs: string[] = [];
  const server = await startServer(testConfig(dataDir, { allowMigrationWithoutBackup: true }), { log: (line) => logs.push(line) });
  await server.close();
  assert.equal(versionOf(dataDir), NEW_VERSION);
  assert.ok(logs.some((line) => line.includes('"level":"warn"') && line.includes('with no backup target')));
});

test('with a backup target, a copy of the old store is written there and checked before the upgrade', async () => {
  const { dataDir, storeId } = await olderStore('with-target');
  const backup = join(root, 'backup');
  await mkdir(backup);
  const logs: string[] = [];
  const server = await startServer(testConfig(dataDir, { backupTargets: `dir:${backup}` }), { log: (line) => logs.push(line) });
  await server.close();
  assert.equal(versionOf(dataDir), NEW_VERSION);
  const dir = join(backup, 'pre-migration', storeId);
  const names = await readdir(dir);
  const object = names.find((n) => n.endsWith('.sqlite.gz'));
  const manifestName = names.find((n) => n.endsWith('.json'));
  assert.ok(object && manifestName, names.join(', '));
  assert.match(object, new RegExp(`^v${OLD_VERSION}-to-v${NEW_VERSION}-`));
  const data = await readFile(join(dir, object));
  const manifest = JSON.parse(await readFile(join(dir, manifestName), 'utf8')) as { sha256: string; schemaVersion: number; storeId: string };
  assert.equal(manifest.sha256, createHash('sha256').update(data).digest('hex'));
  assert.equal(manifest.schemaVersion, OLD_VERSION);
  assert.equal(manifest.storeId, storeId);
  // The copy is the old database, whole: it opens at the old version and passes its check.
  const copy = join(root, 'copy.sqlite');
  await writeFile(copy, gunzipSync(data));
  const db = new Database(copy, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), OLD_VERSION);
  assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
  assert.ok(logs.some((line) => line.includes('before the upgrade is on') && line.includes('checked')));
  // The local safety copy is still made too.
  assert.equal((await readdir(join(dataDir, 'pre-migration'))).length, 1);
});

test('a backup target that cannot take the copy refuses the upgrade and changes nothing', async () => {
  const { dataDir } = await olderStore('bad-target');
  const missing = join(root, 'not-mounted');
  await assert.rejects(startServer(testConfig(dataDir, { backupTargets: `dir:${missing}` }), { log: () => undefined }), ServerStartError);
  assert.equal(versionOf(dataDir), OLD_VERSION);
});
