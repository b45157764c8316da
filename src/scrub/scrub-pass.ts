// One scrub pass: the metadata's integrity check, then every blob re-read in hash order and
// checked against its name, paced to a byte budget, with the position saved as it goes so
// a restart resumes the pass. A bad or missing blob is repaired from a backup target: the
// good copy is fetched and checked first, then the bad copy moved to quarantine, then the
// good one written through the blob engine (temp → fsync → rename → fsync directory).
import { BlobCorruptError } from '../store/blobs/local-directory.ts';
import type { BlobEngine } from '../store/blobs/blob-engine.ts';
import type { Store } from '../store/store.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import type { ScrubCheckpoint, ScrubPassSummary } from './checkpoint.ts';
import { checkMetadataFile } from './check-metadata.ts';
import { BytePace } from './pace.ts';
import { quarantine } from './quarantine.ts';
import type { RepairSource } from './repair-source.ts';

export type ScrubProblemKind = 'blob-corrupt' | 'blob-missing' | 'metadata-corrupt' | 'metadata-inconsistent';

export interface ScrubProblem {
  kind: ScrubProblemKind;
  /** The blob's hash, for blob problems. */
  hash: string | null;
  detail: string;
  /** For blobs: repaired from a target (`repairedFrom` names it). Metadata is never repaired in place. */
  repaired: boolean;
  repairedFrom: string | null;
  /** Where the bad copy was moved. */
  quarantinedTo: string | null;
  /** Why it could not be repaired, if it was not. */
  unrepairedReason: string | null;
}

export interface ScrubProgress {
  blobsChecked: number;
  bytesChecked: number;
  /** The blob just checked (progress bars show how far through the hash space it is). */
  lastHash: string | null;
}

export interface ScrubEvents {
  onProblem?: (problem: ScrubProblem) => void;
  onProgress?: (progress: ScrubProgress) => void;
}

export interface ScrubPassOptions extends ScrubEvents {
  dataDir: string;
  blobs: BlobEngine;
  /** The open store, for the checks across tables (blobs referenced but missing). Null when
   * the metadata is too damaged to open: the blobs on disk are still checked. */
  store: Store | null;
  repair: RepairSource | null;
  /** Bytes per second, or null for no limit. */
  bytesPerSecond: number | null;
  /** Resume from and record the position in the data directory's checkpoint. */
  useCheckpoint: boolean;
  /** quick_check (default) or the thorough integrity_check of the metadata file. */
  metadataCheck?: 'quick' | 'full';
  signal?: AbortSignal;
  now?: () => Date;
}

export interface ScrubReport {
  /** False if the pass was stopped (the checkpoint says where to resume). */
  complete: boolean;
  resumedAfter: string | null;
  startedAt: string;
  finishedAt: string;
  blobsChecked: number;
  bytesChecked: number;
  metadataOk: boolean;
  problems: ScrubProblem[];
}

/** Saves the position after at least this many blobs or this long, whichever comes first. */
const CHECKPOINT_EVERY_BLOBS = 256;
const CHECKPOINT_EVERY_MS = 5_000;

export async function runScrubPass(options: ScrubPassOptions): Promise<ScrubReport> {
  const now = options.now ?? (() => new Date());
  const checkpoint: ScrubCheckpoint = options.useCheckpoint ? await readCheckpoint(options.dataDir) : { format: 'holdfast-scrub', version: 1, current: null, last: null };
  const current = checkpoint.current ?? { startedAt: now().toISOString(), after: null, blobsChecked: 0, bytesChecked: 0 };
  const report: ScrubReport = {
    complete: false,
    resumedAfter: current.after,
    startedAt: current.startedAt,
    finishedAt: current.startedAt,
    blobsChecked: current.blobsChecked,
    bytesChecked: current.bytesChecked,
    metadataOk: true,
    problems: [],
  };
  const record = (problem: ScrubProblem): void => {
    report.problems.push(problem);
    options.onProblem?.(problem);
  };

  // Metadata first: it is small next to the blobs, and it names the blobs that are missing.
  const metadata = checkMetadataFile(options.dataDir, { quick: options.metadataCheck !== 'full' });
  if (metadata.kind === 'corrupt') {
    report.metadataOk = false;
    for (const detail of metadata.details) record(problemOf('metadata-corrupt', null, `${metadata.path}: ${detail}`));
  }
  const missing: string[] = [];
  if (options.store !== null && metadata.kind === 'ok') {
    const integrity = await options.store.checkIntegrity();
    for (const problem of integrity.problems) {
      const hash = problem.kind === 'missing-blob' ? /\b([0-9a-f]{64})\b/.exec(problem.detail)?.[1] : undefined;
      if (hash !== undefined) missing.push(hash);
      else if (problem.kind === 'metadata-corrupt') {
        report.metadataOk = false;
        record(problemOf('metadata-corrupt', null, problem.detail));
      } else if (problem.kind !== 'blob-hash-mismatch') {
        report.metadataOk = false;
        record(problemOf('metadata-inconsistent', null, `${problem.kind}: ${problem.detail}`));
      }
    }
  }
  for (const hash of missing) {
    record(await repairBlob(options, problemOf('blob-missing', hash, `blob ${hash} is referenced by the metadata but missing from the disk`), null));
  }

  const pace = new BytePace(options.bytesPerSecond);
  let sinceSave = 0;
  let savedAt = Date.now();
  const save = async (): Promise<void> => {
    if (!options.useCheckpoint) return;
    checkpoint.current = { startedAt: report.startedAt, after: current.after, blobsChecked: report.blobsChecked, bytesChecked: report.bytesChecked };
    await writeCheckpoint(options.dataDir, checkpoint);
    sinceSave = 0;
    savedAt = Date.now();
  };

  for await (const hash of options.blobs.list()) {
    if (options.signal?.aborted) {
      await save();
      report.finishedAt = now().toISOString();
      return report;
    }
    if (current.after !== null && hash <= current.after) continue;
    const checked = await checkBlob(options.blobs, hash, pace, options.signal);
    report.blobsChecked += 1;
    report.bytesChecked += checked.bytes;
    if (checked.kind === 'corrupt') {
      record(await repairBlob(options, problemOf('blob-corrupt', hash, checked.detail), checked.path));
    } else if (checked.kind === 'vanished') {
      record(await repairBlob(options, problemOf('blob-missing', hash, checked.detail), null));
    }
    current.after = hash;
    options.onProgress?.({ blobsChecked: report.blobsChecked, bytesChecked: report.bytesChecked, lastHash: hash });
    sinceSave += 1;
    if (sinceSave >= CHECKPOINT_EVERY_BLOBS || Date.now() - savedAt >= CHECKPOINT_EVERY_MS) await save();
  }

  report.complete = true;
  report.finishedAt = now().toISOString();
  if (options.useCheckpoint) {
    const unrepaired = report.problems.filter((p) => !p.repaired).length;
    const summary: ScrubPassSummary = {
      startedAt: report.startedAt,
      finishedAt: report.finishedAt,
      blobsChecked: report.blobsChecked,
      bytesChecked: report.bytesChecked,
      problems: report.problems.length,
      repaired: report.problems.length - unrepaired,
      unrepaired,
    };
    await writeCheckpoint(options.dataDir, { ...checkpoint, current: null, last: summary });
  }
  return report;
}

type BlobCheck =
  | { kind: 'ok'; bytes: number }
  | { kind: 'corrupt'; bytes: number; path: string; detail: string }
  | { kind: 'vanished'; bytes: number; detail: string };

/** Reads the blob through the engine's verifying reader, paced chunk by chunk. */
async function checkBlob(blobs: BlobEngine, hash: string, pace: BytePace, signal: AbortSignal | undefined): Promise<BlobCheck> {
  const stream = await blobs.open(hash);
  if (stream === null) return { kind: 'vanished', bytes: 0, detail: `blob ${hash} vanished while the scrub was reading it` };
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      bytes += chunk.byteLength;
      await pace.spend(chunk.byteLength, signal);
    }
    return { kind: 'ok', bytes };
  } catch (error) {
    if (error instanceof BlobCorruptError) {
      return { kind: 'corrupt', bytes: error.actualSize, path: error.path, detail: `blob ${hash} is corrupt: its ${error.actualSize} bytes hash to ${error.actualHash}` };
    }
    return { kind: 'vanished', bytes, detail: error instanceof Error ? error.message : String(error) };
  }
}

async function repairBlob(options: ScrubPassOptions, problem: ScrubProblem, badPath: string | null): Promise<ScrubProblem> {
  const hash = problem.hash ?? '';
  if (options.repair === null) {
    return { ...problem, unrepairedReason: 'no backup target to repair from (configure backupTargets, or pass --repair-from)' };
  }
  const found = await options.repair.fetch(hash);
  if (found.kind === 'not-found') {
    // The bad copy stays where it is: it is still the best there is, and reads refuse it.
    return { ...problem, unrepairedReason: `no good copy on any target: ${found.tried.join('; ')}` };
  }
  let quarantinedTo: string | null = null;
  try {
    if (badPath !== null) quarantinedTo = await quarantine(options.dataDir, badPath, hash, (options.now ?? (() => new Date()))());
    const stored = await options.blobs.put(
      (async function* () {
        yield found.data;
      })(),
    );
    if (stored.kind !== 'stored' || stored.hash !== hash) {
      return { ...problem, quarantinedTo, unrepairedReason: `the copy from ${found.from} did not store as ${hash}` };
    }
  } catch (error) {
    return { ...problem, quarantinedTo, unrepairedReason: `writing the good copy failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  return { ...problem, repaired: true, repairedFrom: found.from, quarantinedTo };
}

function problemOf(kind: ScrubProblemKind, hash: string | null, detail: string): ScrubProblem {
  return { kind, hash, detail, repaired: false, repairedFrom: null, quarantinedTo: null, unrepairedReason: null };
}
