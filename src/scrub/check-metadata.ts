// The metadata database checked on a read-only connection of its own, so a database too
// damaged to open as a store is still examined and named. SQLite cannot be patched in
// place: the only cure for a damaged metadata file is a restore, and the advice says which.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { DATABASE_FILE } from '../store/data-directory.ts';

export type MetadataCheck = { kind: 'ok' } | { kind: 'corrupt'; path: string; details: string[] };

/** PRAGMA integrity_check (thorough; `quick` uses quick_check, which skips index contents). */
export function checkMetadataFile(dataDir: string, options: { quick?: boolean } = {}): MetadataCheck {
  const path = join(dataDir, DATABASE_FILE);
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 10000');
    const rows = db.pragma(options.quick ? 'quick_check' : 'integrity_check', { simple: false }) as Array<Record<string, string>>;
    const details = rows.map((row) => Object.values(row)[0] ?? '').filter((line) => line !== 'ok');
    return details.length === 0 ? { kind: 'ok' } : { kind: 'corrupt', path, details };
  } catch (error) {
    // SQLITE_CORRUPT, SQLITE_NOTADB: the file is too damaged for SQLite to read at all.
    return { kind: 'corrupt', path, details: [error instanceof Error ? error.message : String(error)] };
  } finally {
    db?.close();
  }
}

/** What an operator must do about a damaged metadata database, as exact commands. */
export function metadataRestoreAdvice(dataDir: string, targets: readonly string[]): string {
  const from = targets[0] ?? 'TARGET';
  const lines = [
    `The metadata database ${join(dataDir, DATABASE_FILE)} is damaged and cannot be repaired in place.`,
    'Stop the server, then restore the store from a backup target (the damaged directory is moved aside, never deleted):',
    `  holdfast restore --from ${from} --to ${dataDir} --force`,
    `Then check the backup it came from with: holdfast backup verify --target ${from}`,
  ];
  if (targets.length === 0) lines.push('No backup target is configured: name yours in --from (e.g. "dir:/mnt/backup" or "s3://bucket/prefix").');
  return lines.join('\n');
}
