// A restore drill: the server proves each backup target restores, the way `holdfast backup
// verify` does (every checksum, every blob, a restore into scratch space, the restored
// store's integrity), and records what it found in a small durable file in the data
// directory, so `holdfast status` (another process) and /metrics can show it:
//
//   recovery point  seconds of writes the target lacks: from the first change the target
//                   does not hold to the drill (0 when it holds everything)
//   recovery time   seconds the drill took to check the target and restore it
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Store } from '../store/store.ts';
import { writeFileDurably } from '../store/durable-fs.ts';
import { openBackupSource } from './sqlite-source.ts';
import type { BackupTarget } from './target.ts';
import { verifyBackup } from './verify.ts';

export const DRILL_FILE = 'backup-drill.json';

export interface TargetDrill {
  target: string;
  ok: boolean;
  problems: string[];
  /** Seconds of writes the target lacks; null when it cannot be measured (another generation). */
  recoveryPointSeconds: number | null;
  recoveryTimeSeconds: number;
  restoredSeq: number | null;
  targetLastChangeAt: string | null;
}

export interface DrillRecord {
  format: 'holdfast-drill';
  version: 1;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  targets: TargetDrill[];
}

export async function runDrill(options: {
  dataDir: string;
  store: Store;
  targets: readonly BackupTarget[];
  passphrase?: string | undefined;
  now?: () => Date;
}): Promise<DrillRecord> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const scratchRoot = await scratchRootFor(options.dataDir);
  const results: TargetDrill[] = [];
  for (const target of options.targets) {
    const identity = await options.store.identity();
    const began = performance.now();
    let report;
    try {
      report = await verifyBackup(target, { scratchRoot, passphrase: options.passphrase });
    } catch (error) {
      results.push({ target: target.description, ok: false, problems: [`the drill failed: ${error instanceof Error ? error.message : String(error)}`], recoveryPointSeconds: null, recoveryTimeSeconds: (performance.now() - began) / 1000, restoredSeq: null, targetLastChangeAt: null });
      continue;
    }
    const recoveryTimeSeconds = (performance.now() - began) / 1000;
    const restored = report.restored;
    let recoveryPointSeconds: number | null = null;
    if (restored !== null && restored.fromGeneration === identity.generation) {
      const source = openBackupSource(options.dataDir);
      try {
        const firstMissing = source.firstChangeAfter(restored.seq);
        recoveryPointSeconds = firstMissing === null ? 0 : Math.max(0, (now().getTime() - Date.parse(firstMissing)) / 1000);
      } finally {
        source.close();
      }
    }
    results.push({
      target: target.description,
      ok: report.ok,
      problems: report.problems,
      recoveryPointSeconds,
      recoveryTimeSeconds,
      restoredSeq: restored?.seq ?? null,
      targetLastChangeAt: restored?.lastChangeAt ?? null,
    });
  }
  const record: DrillRecord = { format: 'holdfast-drill', version: 1, startedAt, finishedAt: now().toISOString(), ok: results.every((r) => r.ok), targets: results };
  await writeFileDurably(join(options.dataDir, DRILL_FILE), JSON.stringify(record, null, 2) + '\n');
  return record;
}

/** The last drill's record, or null if none has run (or its file cannot be read). */
export async function readDrillRecord(dataDir: string): Promise<DrillRecord | null> {
  try {
    const parsed = JSON.parse(await readFile(join(dataDir, DRILL_FILE), 'utf8')) as Partial<DrillRecord>;
    return parsed.format === 'holdfast-drill' && parsed.version === 1 ? (parsed as DrillRecord) : null;
  } catch {
    return null;
  }
}

/** Scratch space beside the data directory (usually the same disk, with room for a copy),
 * or the OS temp directory if that is not writable. */
async function scratchRootFor(dataDir: string): Promise<string> {
  const parent = dirname(dataDir);
  try {
    await access(parent, constants.W_OK);
    return parent;
  } catch {
    return tmpdir();
  }
}
