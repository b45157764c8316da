// The store benchmark: how fast the disk makes one write durable, and how many acknowledged
// store writes per second group commit gets out of it with 1, 8 and 64 concurrent writers.
//
//   npm run bench:store -- [--dir DIR] [--seconds N] [--json]
//
// --dir picks the disk (a temporary directory inside DIR, removed afterwards; default the
// system temp directory); --seconds is the length of each measurement (default 3); --json
// adds one line of JSON after the table, for scripts. Two headlines: the ratio of store
// writes to disk fsyncs at 64 writers (above 1, writers share fsyncs), and, measured in the
// same run, 64 writers with group commit against 64 writers with one commit per write.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/open-store.ts';
import { measureFsyncRate } from './fsync-rate.ts';
import type { FsyncRate } from './fsync-rate.ts';
import { createBatchTally, runWritePhase } from './store-writes.ts';
import type { WritePhase, WritePhaseResult } from './store-writes.ts';

const BLOB_BYTES = 256 * 1024;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, seconds: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const seconds = values.seconds === undefined ? 3 : Number(values.seconds);
  if (!(seconds > 0)) throw new RangeError(`--seconds takes a positive number, got ${values.seconds}`);
  const workDir = await mkdtemp(join(resolve(values.dir ?? tmpdir()), 'holdfast-bench-'));
  try {
    console.log(`store benchmark in ${workDir} (${seconds} s per measurement, ${cpus().length} CPUs, Node ${process.version})`);
    const fsync = measureFsyncRate(workDir, seconds);
    const results = await measureStoreWrites(join(workDir, 'data'), seconds);
    // The baseline: the same 64 writers on a store that commits (and fsyncs) each write alone.
    const [ungrouped] = await measureStoreWrites(join(workDir, 'data-one-commit-per-write'), seconds, {
      maxBatchWrites: 1,
      phases: [{ label: 'vcard-64-one-commit-per-write', writers: 64, content: 'vcard', collection: 'contacts', seconds }],
    });
    const grouped = results.find((r) => r.label === 'vcard-64');
    if (!ungrouped || !grouped) throw new Error('the benchmark lost a phase');
    console.log(`\n${table(fsync, [...results, ungrouped])}`);
    const speedup = grouped.writesPerSecond / ungrouped.writesPerSecond;
    console.log(
      `\ngroup commit, 64 writers: ${grouped.writesPerSecond.toFixed(0)} writes/s, against ${ungrouped.writesPerSecond.toFixed(0)} ` +
        `with one commit per write in the same run: ${speedup.toFixed(1)}x`,
    );
    if (values.json) {
      console.log(JSON.stringify({ dir: workDir, seconds, fsync, phases: [...results, ungrouped].map((r) => withRatio(r, fsync)), groupCommitSpeedup64: speedup }));
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function measureStoreWrites(
  dataDir: string,
  seconds: number,
  options: { maxBatchWrites?: number; phases?: WritePhase[] } = {},
): Promise<WritePhaseResult[]> {
  const tally = createBatchTally();
  const opened = await openStore({ dataDir, onBatch: tally.observe, ...(options.maxBatchWrites ? { maxBatchWrites: options.maxBatchWrites } : {}) });
  if (opened.kind !== 'opened') throw new Error(`the benchmark store did not open: ${opened.reason}`);
  const { store } = opened;
  try {
    const created = await store.accounts.createUser('bench', 'not-a-password-hash');
    const user = store.forUser(created.user.id);
    await user.createCollection({ name: 'contacts', kind: 'contacts' });
    await user.createCollection({ name: 'files', kind: 'files' });
    const phases: WritePhase[] = options.phases ?? [
      { label: 'vcard-1', writers: 1, content: 'vcard', collection: 'contacts', seconds },
      { label: 'vcard-8', writers: 8, content: 'vcard', collection: 'contacts', seconds },
      { label: 'vcard-64', writers: 64, content: 'vcard', collection: 'contacts', seconds },
      { label: 'blob-8', writers: 8, content: BLOB_BYTES, collection: 'files', seconds },
    ];
    // A short warm-up, so the first phase does not pay for the first pages and statements.
    await runWritePhase(user, tally, { label: 'warmup', writers: 8, content: 'vcard', collection: 'contacts', seconds: 0.3 });
    const results: WritePhaseResult[] = [];
    for (const phase of phases) {
      const result = await runWritePhase(user, tally, phase);
      console.log(`  ${phase.label}: ${result.writes} writes in ${result.seconds.toFixed(1)} s`);
      results.push(result);
    }
    return results;
  } finally {
    await store.close();
  }
}

function withRatio(result: WritePhaseResult, fsync: FsyncRate) {
  return {
    ...result,
    writesPerFsync: result.writesPerSecond / fsync.fsyncPerSecond,
    writesPerFdatasync: result.writesPerSecond / fsync.fdatasyncPerSecond,
  };
}

function table(fsync: FsyncRate, results: readonly WritePhaseResult[]): string {
  const lines = [`disk: ${fsync.fdatasyncPerSecond.toFixed(0)} fdatasyncs/s of 4 KiB`];
  // Reported whether or not it differs from fdatasync: it is the call the store makes.
  lines.push(`      ${fsync.fsyncPerSecond.toFixed(0)} fsyncs/s of 4 KiB: the call SQLite's commits make here, so writes/fsync is against this`);
  const header = ['content', 'writers', 'writes/s', 'writes/fsync', 'mean batch', 'commits/s', 'ms/commit', 'p50 ms', 'p99 ms'];
  const rows = results.map((r) => [
    (r.contentBytes > 64 * 1024 ? `${r.contentBytes / 1024} KiB blob` : `vCard (${r.contentBytes} B)`) +
      (r.label.endsWith('one-commit-per-write') ? ', one commit per write' : ''),
    String(r.writers),
    r.writesPerSecond.toFixed(0),
    (r.writesPerSecond / fsync.fsyncPerSecond).toFixed(2),
    r.meanBatch.toFixed(1),
    (r.batches / r.seconds).toFixed(0),
    r.meanCommitMs.toFixed(2),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const format = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ');
  lines.push('', format(header), ...rows.map(format), '', ...legend(fsync));
  return lines.join('\n');
}

/** Below this, an fsync is so quick that it probably stops at a cache (see legend). */
const SUSPICIOUSLY_FAST_FSYNC_MS = 0.2;

function legend(fsync: FsyncRate): string[] {
  const fast = 1000 / fsync.fsyncPerSecond < SUSPICIOUSLY_FAST_FSYNC_MS;
  const warning = fast
    ? [
        `An fsync here takes ${(1000 / fsync.fsyncPerSecond).toFixed(2)} ms: fast enough that it may stop at a write cache`,
        '  (NVMe with power-loss protection does this safely; a VM or consumer disk may not). With fsync this cheap,',
        '  per-write work, not fsync, bounds the store, and writes/fsync stays near 1 however well writes are batched.',
      ]
    : [];
  return [
    "writes/fsync: store writes per second ÷ the disk's fsyncs per second; above 1, writers share fsyncs.",
    'commits/s: group-commit transactions per second, each ending in one WAL fsync (a blob write pays two more',
    '  of its own before it joins a batch). ms/commit: how long each held the database, writes and COMMIT together;',
    '  a commit writes every page its writes touched, so a big batch costs more than one bare 4 KiB fsync.',
    ...warning,
  ];
}

await main();
