// Proves a backup restores: checks every object against its checksum (every manifest's
// object, every blob against its name), then restores the latest point into scratch space
// and checks the result's integrity, every blob's hash included. Each problem names the
// object and what is wrong with it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { coverage, readCatalog } from './catalog.ts';
import { blobKey, decodeSegment, sha256Of } from './format.ts';
import Database from 'better-sqlite3';
import { writeFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { restoreToPointInTime } from './restore.ts';
import type { RestoredStore, RestoreProgress } from './restore.ts';
import type { BackupTarget } from './target.ts';
import { SealedObjectError } from './encryption.ts';
import { unlockTarget } from './unlock-target.ts';

export interface VerifyReport {
  ok: boolean;
  target: string;
  problems: string[];
  checked: { snapshots: number; segments: number; blobs: number; bytes: number };
  /** What the scratch restore produced, if it got that far. */
  restored: Pick<RestoredStore, 'generation' | 'fromGeneration' | 'seq' | 'lastChangeAt' | 'records' | 'blobs'> | null;
  coverage: Array<ReturnType<typeof coverage> & { generation: number }>;
}

export async function verifyBackup(
  rawTarget: BackupTarget,
  options: { scratchRoot?: string; passphrase?: string | undefined; onProgress?: (progress: RestoreProgress) => void } = {},
): Promise<VerifyReport> {
  const report: VerifyReport = {
    ok: false,
    target: rawTarget.description,
    problems: [],
    checked: { snapshots: 0, segments: 0, blobs: 0, bytes: 0 },
    restored: null,
    coverage: [],
  };
  const unlocked = await unlockTarget(rawTarget, options.passphrase);
  if (unlocked.kind !== 'unlocked') {
    report.problems.push(unlocked.kind === 'empty' ? `${rawTarget.description} holds no Holdfast backup` : unlocked.reason);
    return report;
  }
  const target = unlocked.target;
  const catalog = await readCatalog(target);
  if (catalog.kind === 'empty') {
    report.problems.push(`${target.description} holds no Holdfast backup`);
    return report;
  }
  if (catalog.kind === 'invalid') {
    report.problems.push(catalog.reason);
    return report;
  }
  report.problems.push(...catalog.catalog.problems);
  /** Every blob a snapshot or segment names, and who names it. */
  const referenced = new Map<string, string>();
  for (const generation of catalog.catalog.generations) {
    report.coverage.push({ generation: generation.generation, ...coverage(generation) });
    for (const manifest of [...generation.snapshots, ...generation.segments]) {
      const what = manifest.kind === 'snapshot' ? 'snapshot' : 'segment';
      const data = await getOrProblem(target, manifest.object, what, report.problems);
      if (data === undefined) continue;
      if (data === null) {
        report.problems.push(`${what} ${manifest.object} is missing (its manifest names it)`);
        continue;
      }
      report.checked.bytes += data.byteLength;
      if (manifest.kind === 'snapshot') report.checked.snapshots += 1;
      else report.checked.segments += 1;
      if (sha256Of(data) !== manifest.sha256) {
        report.problems.push(`${what} ${manifest.object} does not match its checksum (damaged)`);
        continue;
      }
      if (manifest.kind === 'snapshot') {
        for (const hash of await blobsInSnapshot(data, manifest.object, report.problems)) referenced.set(hash, `snapshot ${manifest.object}`);
      } else {
        try {
          const records = decodeSegment(data);
          if (records.length !== manifest.records) report.problems.push(`segment ${manifest.object} holds ${records.length} records, its manifest says ${manifest.records}`);
          for (const record of records) {
            if (record.type === 'revision' && record.revision.storage === 'blob' && record.revision.contentHash !== null) {
              referenced.set(record.revision.contentHash, `revision ${record.revision.id} in segment ${manifest.object}`);
            }
          }
        } catch (error) {
          report.problems.push(`segment ${manifest.object} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  }
  const present = new Set<string>();
  for (const object of await target.list('blobs/')) {
    const hash = object.key.slice(object.key.lastIndexOf('/') + 1);
    present.add(hash);
    const data = await getOrProblem(target, object.key, 'blob', report.problems);
    if (data === null || data === undefined) continue;
    report.checked.blobs += 1;
    report.checked.bytes += data.byteLength;
    if (sha256Of(data) !== hash) report.problems.push(`blob ${object.key} is damaged: its bytes do not hash to its name`);
  }

  for (const [hash, by] of referenced) {
    if (!present.has(hash)) report.problems.push(`blob ${blobKey(hash)} is missing (${by} needs it)`);
  }

  const scratch = await mkdtemp(join(options.scratchRoot ?? tmpdir(), 'holdfast-verify-'));
  try {
    const outcome = await restoreToPointInTime({
      target: rawTarget,
      passphrase: options.passphrase,
      to: join(scratch, 'data'),
      point: { kind: 'latest' },
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    if (outcome.kind === 'restored') {
      const { generation, fromGeneration, seq, lastChangeAt, records, blobs } = outcome;
      report.restored = { generation, fromGeneration, seq, lastChangeAt, records, blobs };
      for (const problem of outcome.integrity.problems) report.problems.push(`the restored store fails its integrity check: ${problem.kind}: ${problem.detail}`);
    } else if (outcome.kind === 'damaged') {
      // The same damage, found again by the restore, is named once.
      for (const problem of outcome.problems) {
        const object = /^\S+ (\S+)/.exec(problem)?.[1];
        if (!report.problems.some((p) => object !== undefined && p.includes(object))) report.problems.push(problem);
      }
    } else {
      report.problems.push(`the restore failed: ${outcome.reason}`);
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  report.ok = report.problems.length === 0;
  return report;
}

/** The object, null if missing, or undefined after noting that it does not open. */
async function getOrProblem(target: BackupTarget, key: string, what: string, problems: string[]): Promise<Uint8Array | null | undefined> {
  try {
    return await target.get(key);
  } catch (error) {
    if (!(error instanceof SealedObjectError)) throw error;
    problems.push(`${what} ${error.message}`);
    return undefined;
  }
}

async function blobsInSnapshot(data: Uint8Array, key: string, problems: string[]): Promise<string[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'holdfast-verify-snapshot-'));
  try {
    const path = join(scratch, 'snapshot.sqlite');
    await writeFile(path, gunzipSync(data));
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push(`snapshot ${key} fails its integrity check: ${String(integrity)}`);
      return db.prepare("SELECT DISTINCT content_hash FROM revisions WHERE storage = 'blob'").pluck().all() as string[];
    } finally {
      db.close();
    }
  } catch (error) {
    problems.push(`snapshot ${key} cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
