// What the backup reads beside the change log, straight from the SQLite engine's database
// on a read-only connection of its own (WAL lets it read while the server writes): the
// fields of a change that the Store interface does not expose (when it happened, the unique
// key, inline bytes), the accounts, and consistent copies of the whole database.
import Database from 'better-sqlite3';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { DATABASE_FILE } from '../store/data-directory.ts';
import type { CredentialRow, UserRow } from './format.ts';

export interface ChangeExtras {
  at: string;
  uniqueKey: string | null;
  inline: Buffer | null;
  deletedWith: number | null;
}

export interface SnapshotCopy {
  seq: number;
  schemaVersion: number;
  generation: number;
}

export interface BackupSource {
  /** Extras of every change with after < seq <= upTo, by sequence number. */
  extras(after: number, upTo: number): Map<number, ChangeExtras>;
  /** When the first change after `seq` was made, or null if there is none. */
  firstChangeAfter(seq: number): string | null;
  accounts(): { users: UserRow[]; credentials: CredentialRow[] };
  /** Writes a consistent copy of the database to `path` (fsynced) and says what it holds. */
  snapshot(path: string): Promise<SnapshotCopy>;
  close(): void;
}

export function openBackupSource(dataDir: string): BackupSource {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 10000');
  const extrasQuery = db.prepare(
    `SELECT ch.seq, ch.at, r.unique_key, r.inline_content, c.deleted_with
     FROM changes ch
     LEFT JOIN revisions r ON r.id = ch.revision_id
     LEFT JOIN collections c ON ch.revision_id IS NULL AND c.id = ch.collection_id AND c.deleted_at IS NOT NULL
     WHERE ch.seq > ? AND ch.seq <= ?`,
  );
  const usersQuery = db.prepare('SELECT id, name, password_hash, created_at, deleted_at, quota_bytes FROM users ORDER BY id');
  const credentialsQuery = db.prepare(
    'SELECT id, user_id, kind, label, secret_hash, created_at, last_used_at, expires_at, revoked_at FROM credentials ORDER BY id',
  );
  const firstAfterQuery = db.prepare('SELECT at FROM changes WHERE seq > ? ORDER BY seq LIMIT 1').pluck();
  return {
    firstChangeAfter(seq) {
      return (firstAfterQuery.get(seq) as string | undefined) ?? null;
    },
    extras(after, upTo) {
      const rows = extrasQuery.all(after, upTo) as Array<{
        seq: number;
        at: string;
        unique_key: string | null;
        inline_content: Buffer | null;
        deleted_with: number | null;
      }>;
      return new Map(
        rows.map((row) => [row.seq, { at: row.at, uniqueKey: row.unique_key, inline: row.inline_content, deletedWith: row.deleted_with }]),
      );
    },
    accounts() {
      // One read transaction, so users and credentials agree.
      return db.transaction(() => ({
        users: usersQuery.all() as UserRow[],
        credentials: credentialsQuery.all() as CredentialRow[],
      }))();
    },
    async snapshot(path) {
      db.prepare('VACUUM INTO ?').run(path);
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const copy = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const seq = (copy.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as { seq: number } | undefined)?.seq ?? 0;
        const generation = Number((copy.prepare("SELECT value FROM meta WHERE key = 'generation'").get() as { value: string } | undefined)?.value ?? 1);
        return { seq, schemaVersion: copy.pragma('user_version', { simple: true }) as number, generation };
      } finally {
        copy.close();
      }
    },
    close() {
      db.close();
    },
  };
}
