// Before a schema migration of an existing store, a copy of its metadata as it is (the old
// schema) goes to every configured backup target, with every blob it names, and is read
// back and checked before the migration may start. A migration that goes wrong — a bug in
// it, a crash, a newer Holdfast that must be rolled back — then never depends on the disk
// it ran on. Objects on the target:
//
//   pre-migration/<storeId>/v<from>-to-v<to>-<time>.sqlite.gz    the old database, gzipped
//   pre-migration/<storeId>/v<from>-to-v<to>-<time>.json         its checksum and what it holds
//
// (blobs under blobs/ as the continuous backup keeps them; encrypted like everything else
// on an encrypted target).
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import Database from 'better-sqlite3';
import { BLOBS_DIR, DATABASE_FILE } from '../store/data-directory.ts';
import { blobKey, encodeJson, sha256Of } from './format.ts';
import type { BackupTarget } from './target.ts';
import { unlockTarget } from './unlock-target.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export interface PreMigrationRequest {
  dataDir: string;
  storeId: string;
  from: number;
  to: number;
  passphrase?: string | undefined;
  now?: Date;
}

export type PreMigrationResult =
  | { kind: 'verified'; target: string; object: string; blobs: number; bytes: number }
  | { kind: 'failed'; target: string; reason: string };

export async function backUpBeforeMigration(target: BackupTarget, request: PreMigrationRequest): Promise<PreMigrationResult> {
  try {
    return await copyAndCheck(target, request);
  } catch (error) {
    // A target that is not mounted, not writable or not reachable: say which, change nothing.
    return { kind: 'failed', target: target.description, reason: error instanceof Error ? error.message : String(error) };
  }
}

async function copyAndCheck(target: BackupTarget, request: PreMigrationRequest): Promise<PreMigrationResult> {
  const fail = (reason: string): PreMigrationResult => ({ kind: 'failed', target: target.description, reason });
  const now = request.now ?? new Date();
  const unlocked = await unlockTarget(target, request.passphrase, { storeId: request.storeId, now });
  if (unlocked.kind !== 'unlocked') return fail(unlocked.kind === 'refused' ? unlocked.reason : 'the target has no header after writing one');
  if (unlocked.header.storeId !== request.storeId) return fail(`it holds the backup of store ${unlocked.header.storeId}, not of this store (${request.storeId})`);
  const io = unlocked.target;
  const scratch = await mkdtemp(join(tmpdir(), 'holdfast-pre-migration-'));
  try {
    const copyPath = join(scratch, 'metadata.sqlite');
    const copy = await copyOldDatabase(join(request.dataDir, DATABASE_FILE), copyPath);
    if (copy.schemaVersion !== request.from) return fail(`the copy has schema version ${copy.schemaVersion}, expected ${request.from}`);
    const hashes = referencedBlobs(copyPath);
    const present = new Set((await io.list('blobs/')).map((object) => object.key.slice(object.key.lastIndexOf('/') + 1)));
    for (const hash of hashes) {
      if (present.has(hash)) continue;
      const path = join(request.dataDir, BLOBS_DIR, hash.slice(0, 2), hash.slice(2, 4), hash);
      await io.putStream(blobKey(hash), createReadStream(path) as AsyncIterable<Uint8Array>);
    }
    const data = await gzipAsync(await readFile(copyPath));
    const stem = `pre-migration/${request.storeId}/v${request.from}-to-v${request.to}-${now.toISOString().replace(/[:.]/g, '-').toLowerCase()}`;
    const object = `${stem}.sqlite.gz`;
    await io.put(object, data);
    await io.put(`${stem}.json`, encodeJson({ kind: 'pre-migration', storeId: request.storeId, object, sha256: sha256Of(data), bytes: data.byteLength, schemaVersion: copy.schemaVersion, generation: copy.generation, seq: copy.seq, takenAt: now.toISOString() }));

    // Read back and check, as a restore would: the checksum, the database, every blob.
    const back = await io.get(object);
    if (back === null) return fail(`${object} is not on the target after writing it`);
    if (sha256Of(back) !== sha256Of(data)) return fail(`${object} read back does not match what was written`);
    const checkPath = join(scratch, 'check.sqlite');
    await writeFile(checkPath, await gunzipAsync(back));
    const db = new Database(checkPath, { readonly: true, fileMustExist: true });
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') return fail(`${object} fails its integrity check: ${String(integrity)}`);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version !== request.from) return fail(`${object} has schema version ${version}, expected ${request.from}`);
    } finally {
      db.close();
    }
    for (const hash of hashes) {
      const blob = await io.get(blobKey(hash));
      if (blob === null || sha256Of(blob) !== hash) return fail(`blob ${hash} is ${blob === null ? 'missing from' : 'damaged on'} the target`);
    }
    return { kind: 'verified', target: target.description, object, blobs: hashes.length, bytes: data.byteLength };
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

function referencedBlobs(path: string): string[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare("SELECT DISTINCT content_hash FROM revisions WHERE storage = 'blob'").pluck().all() as string[];
  } finally {
    db.close();
  }
}

/** A consistent copy of the database as it is, on a read-only connection of its own. Not
 * the continuous backup's source: that one reads the current schema, and this is the old. */
async function copyOldDatabase(path: string, copyPath: string): Promise<{ schemaVersion: number; generation: number; seq: number }> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    db.prepare('VACUUM INTO ?').run(copyPath);
  } finally {
    db.close();
  }
  const handle = await open(copyPath, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  const copy = new Database(copyPath, { readonly: true, fileMustExist: true });
  try {
    const seq = (copy.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as { seq: number } | undefined)?.seq ?? 0;
    const generation = Number((copy.prepare("SELECT value FROM meta WHERE key = 'generation'").get() as { value: string } | undefined)?.value ?? 1);
    return { schemaVersion: copy.pragma('user_version', { simple: true }) as number, generation, seq };
  } finally {
    copy.close();
  }
}
