// Rebuilds a store from a backup target at a point in time: the newest snapshot at or
// before the point, then the segments after it replayed up to the point, then every blob
// the metadata names, each checked against its SHA-256. The result is a new generation of
// the same store (same store id), so devices' sync tokens from before are refused and they
// re-sync instead of trusting a history that was rewound.
//
// The directory gets its marker last: until then it is not a store, and `serve` refuses it.
import Database from 'better-sqlite3';
import { open, rename, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { openLocalDirectoryBlobs } from '../store/blobs/local-directory.ts';
import { DATABASE_FILE, BLOBS_DIR, inspectDataDirectory, writeMarker } from '../store/data-directory.ts';
import { ensureDirectoryDurably, fsyncDirectory } from '../store/durable-fs.ts';
import { openStore } from '../store/open-store.ts';
import { recountUsage } from '../store/sqlite/usage.ts';
import type { IntegrityReport } from '../store/types.ts';
import { readCatalog } from './catalog.ts';
import type { RestorePlan, RestorePoint } from './choose-point.ts';
import { planRestore } from './choose-point.ts';
import type { SegmentRecord, UserRow, CredentialRow } from './format.ts';
import { blobKey, decodeSegment, recordSeq, sha256Of } from './format.ts';
import { createReplayer } from './replay.ts';
import type { BackupTarget } from './target.ts';
import { SealedObjectError } from './encryption.ts';
import { unlockTarget } from './unlock-target.ts';

export interface RestoreProgress {
  phase: 'metadata' | 'blobs' | 'checking';
  doneBytes: number;
  /** Grows once the metadata names the blobs to fetch. */
  totalBytes: number;
}

export interface RestoreOptions {
  target: BackupTarget;
  to: string;
  point: RestorePoint;
  /** Restore even over a directory that holds something: it is moved aside, never deleted. */
  force?: boolean;
  /** For an encrypted target. */
  passphrase?: string | undefined;
  onProgress?: (progress: RestoreProgress) => void;
  now?: () => Date;
}

export interface RestoredStore {
  kind: 'restored';
  dataDir: string;
  storeId: string;
  /** The new generation this restore started. */
  generation: number;
  /** The backup generation it was restored from. */
  fromGeneration: number;
  /** The store's sequence number after the restore: the last change restored. */
  seq: number;
  /** When the last restored change was made (null if the snapshot alone was used). */
  lastChangeAt: string | null;
  snapshotSeq: number;
  segments: number;
  records: number;
  blobs: number;
  bytes: number;
  /** Where an existing directory was moved (with --force), or null. */
  movedAside: string | null;
  integrity: IntegrityReport;
}

export type RestoreOutcome =
  | RestoredStore
  | { kind: 'no-backup'; reason: string }
  | { kind: 'not-covered'; reason: string }
  | { kind: 'refused'; reason: string }
  /** Encrypted, and no passphrase or the wrong one; or not a Holdfast backup. */
  | { kind: 'locked'; reason: string }
  /** The backup is damaged: each problem names the object and what is wrong with it. */
  | { kind: 'damaged'; problems: string[] };

class DamagedBackupError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('; '));
    this.problems = problems;
  }
}

export async function restoreToPointInTime(options: RestoreOptions): Promise<RestoreOutcome> {
  const to = resolve(options.to);
  const now = options.now ?? (() => new Date());
  const unlocked = await unlockTarget(options.target, options.passphrase);
  if (unlocked.kind === 'empty') return noBackup(options.target);
  if (unlocked.kind === 'refused') return { kind: 'locked', reason: unlocked.reason };
  const target = unlocked.target;
  const catalogResult = await readCatalog(target);
  if (catalogResult.kind === 'empty') return noBackup(options.target);
  if (catalogResult.kind === 'invalid') return { kind: 'damaged', problems: [catalogResult.reason] };
  const { catalog } = catalogResult;
  const planned = planRestore(catalog, options.point);
  if (planned.kind === 'not-covered') return planned;
  const { plan } = planned;

  const place = await prepareDestination(to, options.force === true, now());
  if (place.kind === 'refused') return place;

  const progress = { phase: 'metadata' as RestoreProgress['phase'], doneBytes: 0, totalBytes: plan.snapshot.bytes + plan.segments.reduce((n, s) => n + s.bytes, 0) };
  const report = () => options.onProgress?.({ ...progress });
  report();
  try {
    const fetchChecked = async (key: string, sha256: string, what: string): Promise<Uint8Array> => {
      const data = await getOrDamaged(target, key, what);
      if (data === null) throw new DamagedBackupError([`${what} ${key} is missing (its manifest names it)`]);
      if (sha256Of(data) !== sha256) throw new DamagedBackupError([`${what} ${key} does not match its checksum (damaged)`]);
      progress.doneBytes += data.byteLength;
      report();
      return data;
    };
    const snapshot = await fetchChecked(plan.snapshot.object, plan.snapshot.sha256, 'snapshot');
    const databasePath = join(to, DATABASE_FILE);
    await writeFile(databasePath, await gunzipOrDamaged(snapshot, plan.snapshot.object));
    const records: SegmentRecord[] = [];
    for (const segment of plan.segments) {
      const data = await fetchChecked(segment.object, segment.sha256, 'segment');
      try {
        records.push(...decodeSegment(data));
      } catch (error) {
        throw new DamagedBackupError([`segment ${segment.object} cannot be read: ${error instanceof Error ? error.message : String(error)}`]);
      }
    }
    const replayed = replayInto(databasePath, plan, records, newGeneration(catalog.generations.map((g) => g.generation)), now());
    await fsyncFile(databasePath);

    progress.phase = 'blobs';
    progress.totalBytes += replayed.blobs.reduce((n, b) => n + b.size, 0);
    report();
    const blobEngine = await openLocalDirectoryBlobs(join(to, BLOBS_DIR));
    const missing: string[] = [];
    for (const blob of replayed.blobs) {
      const data = await getOrDamaged(target, blobKey(blob.hash), 'blob');
      if (data === null) {
        missing.push(`blob ${blobKey(blob.hash)} is missing (revision ${blob.revisionId} needs it)`);
        continue;
      }
      if (sha256Of(data) !== blob.hash) {
        missing.push(`blob ${blobKey(blob.hash)} is damaged: its bytes do not hash to its name`);
        continue;
      }
      await blobEngine.put(Readable.from([data]));
      progress.doneBytes += data.byteLength;
      report();
    }
    if (missing.length > 0) throw new DamagedBackupError(missing);

    await fsyncDirectory(to);
    await writeMarker(to, { format: 'holdfast-store', version: 1, storeId: catalog.header.storeId, state: 'ready', createdAt: replayed.createdAt });

    progress.phase = 'checking';
    report();
    const integrity = await checkRestored(to, catalog.header.storeId);
    return {
      kind: 'restored',
      dataDir: to,
      storeId: catalog.header.storeId,
      generation: replayed.generation,
      fromGeneration: plan.generation.generation,
      seq: replayed.seq,
      lastChangeAt: replayed.lastChangeAt,
      snapshotSeq: plan.snapshot.seq,
      segments: plan.segments.length,
      records: replayed.records,
      blobs: replayed.blobs.length,
      bytes: progress.doneBytes,
      movedAside: place.movedAside,
      integrity,
    };
  } catch (error) {
    if (error instanceof DamagedBackupError) return { kind: 'damaged', problems: error.problems };
    throw error;
  }
}

function noBackup(target: BackupTarget): RestoreOutcome {
  return { kind: 'no-backup', reason: `${target.description} holds no Holdfast backup (no holdfast-backup.json)` };
}

/** An encrypted object that fails to open is damage, named like any other. */
async function getOrDamaged(target: BackupTarget, key: string, what: string): Promise<Uint8Array | null> {
  try {
    return await target.get(key);
  } catch (error) {
    if (error instanceof SealedObjectError) throw new DamagedBackupError([`${what} ${error.message}`]);
    throw error;
  }
}

/** Higher than every generation the target has seen, so the new one never mixes with an old one. */
function newGeneration(generations: number[]): number {
  return Math.max(0, ...generations) + 1;
}

const gunzipAsync = promisify(gunzip);

async function gunzipOrDamaged(data: Uint8Array, key: string): Promise<Buffer> {
  try {
    return await gunzipAsync(data);
  } catch (error) {
    throw new DamagedBackupError([`snapshot ${key} cannot be unpacked: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

type Place = { kind: 'ready'; movedAside: string | null } | { kind: 'refused'; reason: string };

async function prepareDestination(to: string, force: boolean, now: Date): Promise<Place> {
  const state = await inspectDataDirectory(to);
  let movedAside: string | null = null;
  if (state.kind !== 'missing' && state.kind !== 'empty') {
    const what = state.kind === 'store' ? `holds store ${state.marker.storeId}` : 'is not empty';
    const aside = `${to}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
    if (!force) {
      return {
        kind: 'refused',
        reason: `${to} ${what}; restore into a new directory, or pass --force to move the old one aside to ${aside} first (nothing is deleted)`,
      };
    }
    await rename(to, aside);
    await fsyncDirectory(dirname(to));
    movedAside = aside;
  }
  await ensureDirectoryDurably(to);
  return { kind: 'ready', movedAside };
}

interface Replayed {
  generation: number;
  seq: number;
  records: number;
  lastChangeAt: string | null;
  createdAt: string;
  blobs: Array<{ hash: string; size: number; revisionId: string }>;
}

function replayInto(databasePath: string, plan: RestorePlan, records: SegmentRecord[], generation: number, now: Date): Replayed {
  const db = new Database(databasePath, { fileMustExist: true });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Off while replaying: the accounts that own the collections are applied after them.
    db.pragma('foreign_keys = OFF');
    const replayer = createReplayer(db);
    const base = plan.snapshot.seq;
    const inRange = (seq: number) => seq > base && seq <= plan.untilSeq;
    const seen = new Set<number>();
    const sorted = records
      .filter((r): r is Exclude<SegmentRecord, { type: 'accounts' }> => r.type !== 'accounts')
      .filter((r) => inRange(r.seq))
      .sort((a, b) => a.seq - b.seq);
    // A point in time is a prefix of the log: it ends before the first change made after
    // it, so the result is a state the store really was in, even if the clock stepped back.
    const cut = plan.untilTime === null ? -1 : sorted.findIndex((r) => r.at > (plan.untilTime ?? ''));
    const changes = cut < 0 ? sorted : sorted.slice(0, cut);
    let lastSeq = base;
    let lastChangeAt: string | null = null;
    let applied = 0;
    const accounts = records.filter((r): r is Extract<SegmentRecord, { type: 'accounts' }> => r.type === 'accounts');
    db.transaction(() => {
      for (const record of changes) {
        if (seen.has(record.seq)) continue; // shipped twice: the same change
        seen.add(record.seq);
        replayer.apply(record);
        lastSeq = record.seq;
        lastChangeAt = record.at;
        applied += 1;
      }
      applyAccounts(db, replayer, accounts, base, plan.snapshot.takenAt, lastSeq, plan.untilTime);
      // Rows were written under the store, not through it, so the usage it keeps per user
      // (src/store/sqlite/usage.ts) is counted again from what was restored.
      recountUsage(db);
      const setMeta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
      setMeta.run('generation', String(generation));
      setMeta.run('restored_at', now.toISOString());
      setMeta.run('restored_from', JSON.stringify({ generation: plan.generation.generation, seq: lastSeq, snapshotSeq: base }));
    })();
    const blobs = db
      .prepare("SELECT content_hash AS hash, max(size) AS size, min(id) AS revisionId FROM revisions WHERE storage = 'blob' GROUP BY content_hash")
      .all() as Replayed['blobs'];
    const createdAt = (db.prepare("SELECT value FROM meta WHERE key = 'created_at'").pluck().get() as string | undefined) ?? now.toISOString();
    db.pragma('wal_checkpoint(TRUNCATE)');
    return { generation, seq: lastSeq, records: applied, lastChangeAt, createdAt, blobs };
  } finally {
    db.close();
  }
}

/**
 * Users and credentials are not in the change log; segments carry them whole whenever they
 * change. The newest copy at or before the point wins; a user that owns restored data but
 * was captured only after the point (created moments before it) is taken from a later copy.
 */
function applyAccounts(
  db: Database.Database,
  replayer: ReturnType<typeof createReplayer>,
  accounts: Array<Extract<SegmentRecord, { type: 'accounts' }>>,
  base: number,
  snapshotTakenAt: string,
  lastSeq: number,
  untilTime: string | null,
): void {
  const sorted = [...accounts].sort((a, b) => recordSeq(a) - recordSeq(b) || (a.at < b.at ? -1 : 1));
  const newerThanSnapshot = sorted.filter((a) => a.afterSeq > base || a.at > snapshotTakenAt);
  const atOrBefore = newerThanSnapshot.filter((a) => a.afterSeq <= lastSeq && (untilTime === null || a.at <= untilTime)).at(-1);
  if (atOrBefore !== undefined) replayer.applyAccounts(atOrBefore.users, atOrBefore.credentials);
  const owners = db.prepare('SELECT DISTINCT user_id FROM collections WHERE user_id NOT IN (SELECT id FROM users)').pluck().all() as number[];
  if (owners.length === 0) return;
  const later = sorted.filter((a) => a !== atOrBefore && a.afterSeq >= lastSeq);
  for (const owner of owners) {
    const copy = later.find((a) => a.users.some((u) => u.id === owner));
    if (copy === undefined) continue; // the integrity check names the orphaned rows
    const users: UserRow[] = copy.users.filter((u) => u.id === owner);
    const credentials: CredentialRow[] = copy.credentials.filter((c) => c.user_id === owner && (untilTime === null || c.created_at <= untilTime));
    replayer.applyAccounts(users, credentials);
  }
}

async function checkRestored(dataDir: string, storeId: string): Promise<IntegrityReport> {
  const opened = await openStore({ dataDir, expectedStoreId: storeId, initializeIfEmpty: false, migrateIfOlder: true });
  if (opened.kind === 'refused') {
    return { ok: false, checkedRevisions: 0, checkedBlobs: 0, problems: [{ kind: 'metadata-corrupt', detail: opened.reason }] };
  }
  try {
    return await opened.store.checkIntegrity({ verifyBlobContent: true });
  } finally {
    await opened.store.close();
  }
}

/** Makes the restored database file durable (its directory is fsynced with the marker). */
async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
