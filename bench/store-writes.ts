// Store writes per second with N concurrent writers, and how many writes each group commit
// carried. Every write is a real, acknowledged putItem: when its promise resolves it is on disk.
import type { UserStore } from '../src/store/store.ts';
import type { CommitBatch } from '../src/store/types.ts';

export interface WritePhase {
  label: string;
  writers: number;
  /** 'vcard' is a few hundred bytes, kept inline; a number is that many bytes, to blobs. */
  content: 'vcard' | number;
  collection: string;
  seconds: number;
}

export interface WritePhaseResult {
  label: string;
  writers: number;
  contentBytes: number;
  writes: number;
  seconds: number;
  writesPerSecond: number;
  /** Group-commit transactions during the phase, and the mean writes in each. */
  batches: number;
  meanBatch: number;
  /** Mean time one transaction held the database: its writes, then COMMIT with its fsync. */
  meanCommitMs: number;
  p50Ms: number;
  p99Ms: number;
}

/** Counts the batches the group committer reports; reset before each phase. */
export interface BatchTally {
  observe: (batch: CommitBatch) => void;
  take: () => { batches: number; writes: number; ms: number };
}

export function createBatchTally(): BatchTally {
  let batches = 0;
  let writes = 0;
  let ms = 0;
  return {
    observe(batch) {
      batches += 1;
      writes += batch.writes;
      ms += batch.durationMs;
    },
    take() {
      const taken = { batches, writes, ms };
      batches = 0;
      writes = 0;
      ms = 0;
      return taken;
    },
  };
}

export async function runWritePhase(
  user: UserStore,
  tally: BatchTally,
  phase: WritePhase,
): Promise<WritePhaseResult> {
  tally.take();
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + phase.seconds * 1000;
  const writer = async (index: number) => {
    const blob = typeof phase.content === 'number' ? Buffer.alloc(phase.content, index) : null;
    for (let n = 0; performance.now() < deadline; n += 1) {
      const name = `${phase.label}-w${index}-${n}`;
      // Each write its own item and its own content, so no write is a no-op or a dedup.
      const body = blob ? stamp(blob, name) : vcard(name);
      const begun = performance.now();
      const result = await user.putItem(phase.collection, name, body, {
        contentType: blob ? 'application/octet-stream' : 'text/vcard',
        author: 'bench',
      });
      if (result.kind !== 'written') throw new Error(`a benchmark write of ${name} answered ${result.kind}`);
      latencies.push(performance.now() - begun);
    }
  };
  await Promise.all(Array.from({ length: phase.writers }, (_, index) => writer(index)));
  const seconds = (performance.now() - started) / 1000;
  const { batches, writes: batchedWrites, ms: batchMs } = tally.take();
  latencies.sort((a, b) => a - b);
  return {
    label: phase.label,
    writers: phase.writers,
    contentBytes: typeof phase.content === 'number' ? phase.content : vcard('x').byteLength,
    writes: latencies.length,
    seconds,
    writesPerSecond: latencies.length / seconds,
    batches,
    meanBatch: batches === 0 ? 0 : batchedWrites / batches,
    meanCommitMs: batches === 0 ? 0 : batchMs / batches,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

/** A vCard of the size a phone's contact has (about 400 bytes). */
function vcard(name: string): Buffer {
  return Buffer.from(
    [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'PRODID:-//Apple Inc.//iPhone OS 17.4//EN',
      `UID:${name}`,
      'N:Lovelace;Ada;;;',
      'FN:Ada Lovelace',
      'ORG:Analytical Engines Ltd;',
      'TEL;type=CELL;type=VOICE;type=pref:+44 20 7946 0958',
      'EMAIL;type=INTERNET;type=HOME;type=pref:ada@example.org',
      'ADR;type=HOME;type=pref:;;12 St James’s Square;London;;SW1Y 4JH;United Kingdom',
      'BDAY:1815-12-10',
      `REV:${new Date().toISOString()}`,
      'END:VCARD',
      '',
    ].join('\r\n'),
  );
}

/** Makes the buffer's content unique to this write, so its blob is new. */
function stamp(buffer: Buffer, name: string): Buffer {
  buffer.write(name.padEnd(64, ' '), 0, 'utf8');
  return buffer;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}
