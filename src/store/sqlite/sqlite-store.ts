// The SQLite metadata engine: the embedded default. WAL with synchronous=FULL, so a
// COMMIT that has returned is on disk; every write goes through the group committer.
import Database from 'better-sqlite3';
import type { BlobEngine } from '../blobs/blob-engine.ts';
import type { Store } from '../store.ts';
import type { IntegrityProblem, IntegrityReport, StoreIdentity, StoreStats } from '../types.ts';
import { readChanges } from './changes.ts';
import { statementCache } from './context.ts';
import type { SqliteContext } from './context.ts';
import { GroupCommitter } from './group-commit.ts';
import { InFlightWrites } from './in-flight.ts';
import type { BatchObserver } from './group-commit.ts';
import { migrate } from './migrate.ts';
import type { Migration, MigrateResult } from './migrate.ts';
import { MIGRATIONS } from './schema.ts';
import { createSqliteAccountRepository } from './sqlite-account-repository.ts';
import { createSqliteUserStore } from './sqlite-user-store.ts';
import { usageMismatches } from './usage.ts';
import { sha256Hex } from '../content.ts';

export interface OpenSqliteStoreOptions {
  databasePath: string;
  blobs: BlobEngine;
  inlineLimitBytes: number;
  /** The quota of a user who has none of their own, in bytes; null or absent: no limit. */
  defaultQuotaBytes?: number | null;
  /** Where the safety copy goes before a schema migration. */
  migrationCopyDir: string;
  /** The store id to record if the database is new. An existing database keeps its own. */
  newStoreId: string;
  /** False: refuse an older schema instead of migrating it. */
  migrateIfOlder: boolean;
  /** Defaults to the real schema; tests pass their own to exercise migrations. */
  migrations?: readonly Migration[];
  onBatch?: BatchObserver;
  /** Most writes one commit may carry; 1 turns group commit off (a benchmark baseline). */
  maxBatchWrites?: number;
  now?: () => Date;
}

export type OpenSqliteStoreResult =
  | { kind: 'opened'; store: Store; migration: MigrateResult }
  | { kind: 'refused'; reason: string };

export async function openSqliteStore(options: OpenSqliteStoreOptions): Promise<OpenSqliteStoreResult> {
  const db = new Database(options.databasePath);
  try {
    db.pragma('journal_mode = WAL');
    // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Another process (the CLI beside the server) may hold the write lock for a moment.
    db.pragma('busy_timeout = 10000');
    // Statement journals and sort space stay in memory instead of temporary files.
    db.pragma('temp_store = MEMORY');
    const migration = await migrate(db, {
      migrations: options.migrations ?? MIGRATIONS,
      copyDir: options.migrationCopyDir,
      allowUpgrade: options.migrateIfOlder,
    });
    if (migration.kind === 'refused') {
      db.close();
      return migration;
    }
    if (migration.kind === 'created') {
      const insert = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      db.transaction(() => {
        insert.run('store_id', options.newStoreId);
        insert.run('generation', '1');
        insert.run('created_at', new Date().toISOString());
      }).immediate();
    }
    return { kind: 'opened', store: createStore(db, options), migration };
  } catch (error) {
    db.close();
    throw error;
  }
}

function createStore(db: Database.Database, options: OpenSqliteStoreOptions): Store {
  const clock = options.now ?? (() => new Date());
  const committer = new GroupCommitter(db, { observe: options.onBatch, maxBatch: options.maxBatchWrites });
  const inFlight = new InFlightWrites();
  const ctx: SqliteContext = {
    db,
    sql: statementCache(db),
    committer,
    inFlight,
    blobs: options.blobs,
    inlineLimitBytes: options.inlineLimitBytes,
    defaultQuotaBytes: options.defaultQuotaBytes ?? null,
    now: () => clock().toISOString(),
  };
  const meta = (key: string): string | null =>
    (ctx.sql('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  let closed = false;

  return {
    engine: 'sqlite',
    accounts: createSqliteAccountRepository(ctx),

    async identity(): Promise<StoreIdentity> {
      const sequence = ctx.sql("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as { seq: number } | undefined;
      return { storeId: meta('store_id') ?? '', generation: Number(meta('generation') ?? 0), sequence: sequence?.seq ?? 0 };
    },

    forUser(userId) {
      if (!Number.isSafeInteger(userId) || userId <= 0) throw new Error(`not a user id: ${String(userId)}`);
      return createSqliteUserStore(ctx, userId);
    },

    async changesSince(query) {
      return readChanges(ctx, query);
    },

    async checkWritable() {
      await committer.run(() =>
        ctx.sql("INSERT INTO meta (key, value) VALUES ('last_write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(ctx.now()),
      );
      await ctx.blobs.checkWritable();
    },

    async checkIntegrity(integrityOptions) {
      return checkIntegrity(ctx, integrityOptions?.verifyBlobContent ?? false);
    },

    async stats(): Promise<StoreStats> {
      const count = (sql: string) => (ctx.sql(sql).get() as { n: number | null }).n ?? 0;
      const blobs = ctx
        .sql("SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM (SELECT DISTINCT content_hash, size FROM revisions WHERE storage = 'blob')")
        .get() as { n: number; bytes: number };
      return {
        users: count('SELECT count(*) AS n FROM users WHERE deleted_at IS NULL'),
        collections: count('SELECT count(*) AS n FROM collections WHERE deleted_at IS NULL'),
        items: count('SELECT count(*) AS n FROM items WHERE deleted = 0'),
        deletedItems: count('SELECT count(*) AS n FROM items WHERE deleted = 1'),
        revisions: count('SELECT count(*) AS n FROM revisions'),
        inlineBytes: count("SELECT sum(size) AS n FROM revisions WHERE storage = 'inline'"),
        blobs: blobs.n,
        blobBytes: blobs.bytes,
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      await inFlight.close();
      await committer.close();
      // Folds the WAL into the database file so the directory is tidy for backup tools.
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}

async function checkIntegrity(ctx: SqliteContext, verifyBlobContent: boolean): Promise<IntegrityReport> {
  const problems: IntegrityProblem[] = [];
  const integrity = ctx.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
  for (const row of integrity) {
    if (row.integrity_check !== 'ok') problems.push({ kind: 'metadata-corrupt', detail: row.integrity_check });
  }
  const foreignKeys = ctx.db.pragma('foreign_key_check') as Array<{ table: string; rowid: number; parent: string }>;
  for (const row of foreignKeys) {
    problems.push({ kind: 'metadata-corrupt', detail: `${row.table} row ${row.rowid} points at a missing ${row.parent} row` });
  }
  const danglingHeads = ctx.db
    .prepare(
      `SELECT i.id, i.name, i.head_revision_id FROM items i LEFT JOIN revisions r ON r.id = i.head_revision_id
       WHERE r.id IS NULL OR r.item_id != i.id OR r.deleted != i.deleted`,
    )
    .all() as Array<{ id: number; name: string; head_revision_id: string }>;
  for (const row of danglingHeads) {
    problems.push({ kind: 'dangling-head', detail: `item ${row.id} (${row.name}) has head ${row.head_revision_id}, which is missing or not its own` });
  }

  let checkedRevisions = 0;
  for (const row of ctx.db
    .prepare("SELECT id, content_hash, inline_content FROM revisions WHERE storage = 'inline'")
    .iterate() as IterableIterator<{ id: string; content_hash: string; inline_content: Buffer }>) {
    checkedRevisions += 1;
    if (sha256Hex(row.inline_content) !== row.content_hash) {
      problems.push({ kind: 'inline-hash-mismatch', detail: `revision ${row.id}: inline content does not match ${row.content_hash}` });
    }
  }

  let checkedBlobs = 0;
  const hashes = ctx.db.prepare("SELECT DISTINCT content_hash AS hash FROM revisions WHERE storage = 'blob'").pluck().all() as string[];
  for (const hash of hashes) {
    checkedBlobs += 1;
    if (!verifyBlobContent) {
      if (!(await ctx.blobs.has(hash))) problems.push({ kind: 'missing-blob', detail: `blob ${hash} is referenced but missing` });
      continue;
    }
    const stream = await ctx.blobs.open(hash);
    if (!stream) {
      problems.push({ kind: 'missing-blob', detail: `blob ${hash} is referenced but missing` });
      continue;
    }
    try {
      for await (const _chunk of stream) {
        // Reading to the end is the check: the stream throws on a hash mismatch.
      }
    } catch (error) {
      problems.push({ kind: 'blob-hash-mismatch', detail: `blob ${hash}: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
  for (const { userId, kept, counted } of usageMismatches(ctx)) {
    problems.push({ kind: 'usage-mismatch', detail: `user ${userId}: the kept usage is ${kept} bytes, a recount finds ${counted}` });
  }
  checkedRevisions += ctx.db.prepare("SELECT count(*) FROM revisions WHERE storage != 'inline'").pluck().get() as number;
  return { ok: problems.length === 0, checkedRevisions, checkedBlobs, problems };
}
