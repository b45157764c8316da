// Where a scrub pass has got to, kept in a small JSON file in the data directory so that a
// restart resumes the pass instead of re-reading every blob from the start. Written temp →
// fsync → rename → fsync directory: after a crash the file holds the old position or the
// new, and the worst a lost update costs is re-reading a few blobs.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileDurably } from '../store/durable-fs.ts';

export const SCRUB_CHECKPOINT_FILE = 'scrub-checkpoint.json';

export interface ScrubPassSummary {
  startedAt: string;
  finishedAt: string;
  blobsChecked: number;
  bytesChecked: number;
  problems: number;
  repaired: number;
  unrepaired: number;
}

export interface ScrubCheckpoint {
  format: 'holdfast-scrub';
  version: 1;
  /** The pass under way: the last blob hash it finished (blobs are scrubbed in hash order). */
  current: { startedAt: string; after: string | null; blobsChecked: number; bytesChecked: number } | null;
  last: ScrubPassSummary | null;
}

export function emptyCheckpoint(): ScrubCheckpoint {
  return { format: 'holdfast-scrub', version: 1, current: null, last: null };
}

export function checkpointPath(dataDir: string): string {
  return join(dataDir, SCRUB_CHECKPOINT_FILE);
}

/** The checkpoint, or an empty one if there is none or it cannot be read (a damaged
 * checkpoint only costs a pass from the start, so it is not worth refusing over). */
export async function readCheckpoint(dataDir: string): Promise<ScrubCheckpoint> {
  let text: string;
  try {
    text = await readFile(checkpointPath(dataDir), 'utf8');
  } catch {
    return emptyCheckpoint();
  }
  try {
    const parsed = JSON.parse(text) as Partial<ScrubCheckpoint>;
    if (parsed.format !== 'holdfast-scrub' || parsed.version !== 1) return emptyCheckpoint();
    return { ...emptyCheckpoint(), current: parsed.current ?? null, last: parsed.last ?? null };
  } catch {
    return emptyCheckpoint();
  }
}

export async function writeCheckpoint(dataDir: string, checkpoint: ScrubCheckpoint): Promise<void> {
  await writeFileDurably(checkpointPath(dataDir), JSON.stringify(checkpoint, null, 2) + '\n');
}
