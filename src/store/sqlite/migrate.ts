// Forward-only schema migrations. Before an existing store is migrated, a consistent copy of
// its database is written beside it and checked; if that copy cannot be made, nothing is
// migrated. A fresh database is built straight to the newest version.
import Database from 'better-sqlite3';
import { open } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ensureDirectoryDurably, fsyncDirectory } from '../durable-fs.ts';

export interface Migration {
  version: number;
  description: string;
  up(db: Database.Database): void;
}

export type MigrateResult =
  | { kind: 'current'; version: number }
  | { kind: 'created'; version: number }
  | { kind: 'migrated'; from: number; to: number; copyPath: string }
  | { kind: 'refused'; reason: string };

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

export async function migrate(
  db: Database.Database,
  options: { migrations: readonly Migration[]; copyDir: string; allowUpgrade: boolean; now?: () => Date },
): Promise<MigrateResult> {
  const { migrations } = options;
  const current = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (current > latest) {
    return {
      kind: 'refused',
      reason: `the database has schema version ${current}, newer than this Holdfast knows (${latest}); run the newer Holdfast that wrote it`,
    };
  }
  if (current === latest) return { kind: 'current', version: current };

  const pending = migrations.filter((m) => m.version > current).sort((a, b) => a.version - b.version);
  if (current === 0) {
    applyMigrations(db, pending);
    return { kind: 'created', version: latest };
  }

  if (!options.allowUpgrade) {
    return {
      kind: 'refused',
      reason: `the database has schema version ${current} and this Holdfast needs ${latest}: start the server ('holdfast serve') once to upgrade it (it writes a safety copy first)`,
    };
  }
  const stamp = (options.now?.() ?? new Date()).toISOString().replace(/[:.]/g, '-');
  const copyPath = join(options.copyDir, `metadata-v${current}-before-v${latest}-${stamp}.sqlite`);
  const copy = await writeVerifiedCopy(db, copyPath, current);
  if (copy !== null) {
    return {
      kind: 'refused',
      reason: `refusing to migrate the schema from version ${current} to ${latest}: the safety copy at ${copyPath} could not be made (${copy}). Free disk space or fix permissions, then start again`,
    };
  }
  applyMigrations(db, pending);
  return { kind: 'migrated', from: current, to: latest, copyPath };
}

function applyMigrations(db: Database.Database, pending: readonly Migration[]): void {
  for (const migration of pending) {
    db.transaction(() => {
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

/** Writes a consistent copy with VACUUM INTO, makes it durable, and checks it opens with the
 * expected version and passes an integrity check. Returns null on success, else why not. */
async function writeVerifiedCopy(db: Database.Database, copyPath: string, version: number): Promise<string | null> {
  try {
    await ensureDirectoryDurably(join(copyPath, '..'));
    db.prepare('VACUUM INTO ?').run(copyPath);
    const handle = await open(copyPath, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsyncDirectory(join(copyPath, '..'));
    const copy = new Database(copyPath, { readonly: true, fileMustExist: true });
    try {
      const integrity = copy.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') return `the copy ${basename(copyPath)} fails its integrity check: ${String(integrity)}`;
      const copyVersion = schemaVersion(copy);
      if (copyVersion !== version) return `the copy has schema version ${copyVersion}, expected ${version}`;
    } finally {
      copy.close();
    }
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
