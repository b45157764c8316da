// Opens the store that a data directory holds, initialising it on first start. Refuses,
// with a reason a person can act on, whenever the directory does not hold the store it
// should: an unmounted disk must never look like "no data yet".
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openLocalDirectoryBlobs } from './blobs/local-directory.ts';
import {
  BLOBS_DIR,
  DATABASE_FILE,
  MARKER_FILE,
  MIGRATION_COPIES_DIR,
  inspectDataDirectory,
  writeMarker,
} from './data-directory.ts';
import { lockDataDirectory } from './directory-lock.ts';
import { ensureDirectoryDurably } from './durable-fs.ts';
import Database from 'better-sqlite3';
import type { Migration } from './sqlite/migrate.ts';
import { latestVersion, schemaVersion } from './sqlite/migrate.ts';
import { MIGRATIONS } from './sqlite/schema.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';
import type { CommitBatch } from './types.ts';

export const DEFAULT_INLINE_LIMIT_BYTES = 64 * 1024;

export interface OpenStoreOptions {
  dataDir: string;
  /** When set, the directory must hold this store: an empty or foreign directory is refused
   * (an unmounted disk must never look like "no data yet"). */
  expectedStoreId?: string | undefined;
  /** Content up to this size is kept inline in the metadata engine; larger goes to blobs. */
  inlineLimitBytes?: number;
  /** The quota of a user who has none of their own, in bytes; absent or null: no limit.
   * Not stored: each opener (server, CLI) passes the configured default. */
  defaultQuotaBytes?: number | null | undefined;
  /** Create a new store in an empty or missing directory (the server does; the CLI does not). */
  initializeIfEmpty?: boolean;
  /** Migrate an older schema (after a verified safety copy). Only the server should: a
   * newer CLI must not change the schema under an older server that is running. */
  migrateIfOlder?: boolean;
  /** Open as the directory's owner (the server): take its lock, so a second owner is
   * refused, and remove temporary files of writes a crash interrupted (another owner's
   * writes in flight would use them). The lock is released when the store closes. */
  cleanTemporaryFiles?: boolean;
  /** Asked before an existing store's schema is migrated (the server backs the store up to
   * its targets here, and refuses without one unless forced). A string refuses, with it as
   * the reason; null lets the migration go ahead. */
  beforeMigration?: (upgrade: { dataDir: string; storeId: string; from: number; to: number }) => Promise<string | null>;
  /** Tests pass their own schema to exercise migrations. */
  migrations?: readonly Migration[];
  /** Told about every commit batch (for metrics). */
  onBatch?: (batch: CommitBatch) => void;
  /** Most writes one commit may carry (default 512); 1 turns group commit off, which only
   * the benchmark's baseline should want. */
  maxBatchWrites?: number;
  /** The clock changes are stamped with (tests simulate days and months with it). */
  now?: () => Date;
}

export type OpenStoreResult =
  | { kind: 'opened'; store: Store; initialized: boolean; migratedFrom: number | null; migrationCopy: string | null }
  | { kind: 'refused'; reason: string };

export async function openStore(options: OpenStoreOptions): Promise<OpenStoreResult> {
  const dir = resolve(options.dataDir);
  if (!options.cleanTemporaryFiles) return openDirectory(dir, options);

  // The lock lives in the directory, so it must exist first; if it may not be created,
  // openDirectory refuses with the reason.
  if ((await inspectDataDirectory(dir)).kind === 'missing') {
    const wouldCreate = options.expectedStoreId === undefined && options.initializeIfEmpty !== false;
    if (!wouldCreate) return openDirectory(dir, options);
    await ensureDirectoryDurably(dir);
  }
  const lock = await lockDataDirectory(dir);
  if (lock.kind === 'held') {
    const { pid, host, since } = lock.owner;
    return refuse(
      `another Holdfast server (process ${pid} on ${host}, since ${since}) is using ${dir}; stop it first. ` +
        `If none is running, remove ${lock.path}.`,
    );
  }
  let result: OpenStoreResult;
  try {
    result = await openDirectory(dir, options);
  } catch (error) {
    await lock.release();
    throw error;
  }
  if (result.kind !== 'opened') {
    await lock.release();
    return result;
  }
  const store = result.store;
  return {
    ...result,
    store: {
      ...store,
      async close() {
        await store.close();
        await lock.release();
      },
    },
  };
}

async function openDirectory(dir: string, options: OpenStoreOptions): Promise<OpenStoreResult> {
  const expected = options.expectedStoreId;
  const state = await inspectDataDirectory(dir);
  switch (state.kind) {
    case 'missing':
    case 'empty': {
      const what = state.kind === 'missing' ? 'does not exist' : 'is empty';
      if (expected !== undefined) {
        return refuse(
          `${dir} ${what}, but the configuration says it holds store ${expected}. Is the disk mounted and the path right? ` +
            'If the data is lost, restore it from a backup. To start a new, empty store on purpose, remove the store id ' +
            'from the configuration (HOLDFAST_STORE_ID or --store-id).',
        );
      }
      if (options.initializeIfEmpty === false) {
        return refuse(`no Holdfast store in ${dir} (it ${what}): start the server once with 'holdfast serve --data ${dir}' to create one, or pass --data`);
      }
      return initialize(dir, randomUUID(), options);
    }
    case 'foreign':
      return refuse(
        `${dir} is not empty and holds no Holdfast store (it has ${state.entries.join(', ')}). ` +
          'Point --data at an empty directory to create a new store, or at the directory that holds yours.',
      );
    case 'unreadable-marker':
      return refuse(
        `${join(dir, MARKER_FILE)} is damaged: ${state.reason}. Holdfast will not guess which store this is; restore the data directory from a backup.`,
      );
    case 'store': {
      const { marker } = state;
      if (expected !== undefined && marker.storeId !== expected) {
        return refuse(
          `${dir} holds store ${marker.storeId}, but the configuration expects store ${expected}. ` +
            'Check the --data path and the store id setting (HOLDFAST_STORE_ID or --store-id).',
        );
      }
      if (marker.state === 'initializing') {
        if (options.initializeIfEmpty === false) {
          return refuse(`the store in ${dir} has not finished its first start: start the server with 'holdfast serve --data ${dir}' to complete it`);
        }
        // A crash during first start: nothing was ever acknowledged, so start over.
        await removeDatabaseFiles(dir);
        return initialize(dir, marker.storeId, options);
      }
      if (!state.hasDatabase) {
        return refuse(
          `${dir} belongs to store ${marker.storeId}, but its database ${DATABASE_FILE} is missing. ` +
            'Holdfast will not start an empty store in its place; restore the data directory from a backup.',
        );
      }
      return open(dir, marker.storeId, options, false);
    }
  }
}

function refuse(reason: string): OpenStoreResult {
  return { kind: 'refused', reason };
}

async function initialize(dir: string, storeId: string, options: OpenStoreOptions): Promise<OpenStoreResult> {
  await ensureDirectoryDurably(dir);
  const createdAt = new Date().toISOString();
  await writeMarker(dir, { format: 'holdfast-store', version: 1, storeId, state: 'initializing', createdAt });
  const result = await open(dir, storeId, options, true);
  if (result.kind === 'opened') {
    await writeMarker(dir, { format: 'holdfast-store', version: 1, storeId, state: 'ready', createdAt });
  }
  return result;
}

async function open(dir: string, storeId: string, options: OpenStoreOptions, initialized: boolean): Promise<OpenStoreResult> {
  if (!initialized && options.beforeMigration && (options.migrateIfOlder ?? true)) {
    const from = storedSchemaVersion(join(dir, DATABASE_FILE));
    const to = latestVersion(options.migrations ?? MIGRATIONS);
    if (from > 0 && from < to) {
      const refused = await options.beforeMigration({ dataDir: dir, storeId, from, to });
      if (refused !== null) return refuse(refused);
    }
  }
  const blobs = await openLocalDirectoryBlobs(join(dir, BLOBS_DIR));
  if (options.cleanTemporaryFiles) await blobs.cleanTemporary();
  const opened = await openSqliteStore({
    databasePath: join(dir, DATABASE_FILE),
    blobs,
    inlineLimitBytes: options.inlineLimitBytes ?? DEFAULT_INLINE_LIMIT_BYTES,
    defaultQuotaBytes: options.defaultQuotaBytes ?? null,
    migrationCopyDir: join(dir, MIGRATION_COPIES_DIR),
    newStoreId: storeId,
    migrateIfOlder: options.migrateIfOlder ?? true,
    ...(options.migrations ? { migrations: options.migrations } : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    ...(options.maxBatchWrites !== undefined ? { maxBatchWrites: options.maxBatchWrites } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  if (opened.kind === 'refused') return opened;
  const identity = await opened.store.identity();
  if (identity.storeId !== storeId) {
    await opened.store.close();
    return refuse(
      `${join(dir, DATABASE_FILE)} belongs to store ${identity.storeId}, but the directory's marker says ${storeId}. ` +
        'The database was copied in from another store; restore this directory from its own backup.',
    );
  }
  const migration = opened.migration;
  return {
    kind: 'opened',
    store: opened.store,
    initialized,
    migratedFrom: migration.kind === 'migrated' ? migration.from : null,
    migrationCopy: migration.kind === 'migrated' ? migration.copyPath : null,
  };
}

async function removeDatabaseFiles(dir: string): Promise<void> {
  for (const suffix of ['', '-wal', '-shm', '-journal']) {
    await rm(join(dir, DATABASE_FILE + suffix), { force: true });
  }
}

/** The schema version of a database file, read without changing it (0 if it has none). */
function storedSchemaVersion(path: string): number {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}
