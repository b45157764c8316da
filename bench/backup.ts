// The backup benchmark: how far continuous backup falls behind under a steady write load,
// and how long a restore takes, next to `cp -r` of the same bytes in the same run.
//
//   npm run bench:backup -- [--dir DIR] [--items N] [--blob-mib N] [--rate N] [--seconds N]
//
// --dir picks the disk (a temporary directory inside DIR, removed afterwards); --items is
// the number of contacts for the restore (default 100000); --blob-mib the bytes of 1 MiB
// blobs (default 256; the issue's 2 GiB is --blob-mib 2048); --rate and --seconds the
// steady load for the lag (default 200 writes/s for 10 s). The target is a directory.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openDirectoryTarget } from '../src/backup/directory-target.ts';
import { startBackupFollower } from '../src/backup/follower.ts';
import { restoreToPointInTime } from '../src/backup/restore.ts';
import { TargetShipper } from '../src/backup/ship.ts';
import { openBackupSource } from '../src/backup/sqlite-source.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';

const silent = { info: () => undefined, error: (_: object, message: string) => console.error(message) };

async function openNew(dataDir: string): Promise<{ store: Store; userId: number }> {
  const opened = await openStore({ dataDir, initializeIfEmpty: true, cleanTemporaryFiles: true });
  if (opened.kind !== 'opened') throw new Error(opened.reason);
  const created = await opened.store.accounts.createUser('bench', 'not-a-real-hash');
  if (created.kind !== 'created') throw new Error('no user');
  await opened.store.forUser(created.user.id).createCollection({ name: 'files', kind: 'files' });
  return { store: opened.store, userId: created.user.id };
}

const contact = (n: number) => Buffer.from(`BEGIN:VCARD\r\nVERSION:4.0\r\nUID:bench-${n}\r\nFN:Contact number ${n}\r\nTEL:+1555${String(n).padStart(7, '0')}\r\nEND:VCARD\r\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measureLag(workDir: string, rate: number, seconds: number) {
  const { store, userId } = await openNew(join(workDir, 'lag-data'));
  const targetDir = join(workDir, 'lag-target');
  await mkdir(targetDir);
  const follower = startBackupFollower({ store, source: openBackupSource(join(workDir, 'lag-data')), targets: [await openDirectoryTarget(targetDir)], log: silent });
  const user = store.forUser(userId);
  const samples: Array<{ seconds: number; changes: number }> = [];
  const sampler = setInterval(() => {
    void follower.lag().then(([lag]) => {
      if (lag) samples.push({ seconds: lag.behindSeconds, changes: lag.behindChanges });
    });
  }, 100);
  const started = Date.now();
  let written = 0;
  const pending: Array<Promise<unknown>> = [];
  while (Date.now() - started < seconds * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (written < due) {
      const n = written;
      written += 1;
      const write = user.putItem('contacts', `c${n}.vcf`, contact(n), { contentType: 'text/vcard', author: 'bench' });
      follower.notify();
      pending.push(write);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(pending);
  clearInterval(sampler);
  await follower.flush();
  await follower.stop();
  await store.close();
  const secondsBehind = samples.map((s) => s.seconds);
  return {
    writes: written,
    rate,
    samples: samples.length,
    p50Seconds: percentile(secondsBehind, 50),
    p95Seconds: percentile(secondsBehind, 95),
    maxSeconds: Math.max(0, ...secondsBehind),
    maxChanges: Math.max(0, ...samples.map((s) => s.changes)),
  };
}

/** With `replay`, the target's only snapshot is of the empty store, so the restore replays
 * every change from segments (the worst case); otherwise it restores from a snapshot. */
async function measureRestore(workDir: string, label: string, replay: boolean, fill: (store: Store, userId: number) => Promise<void>) {
  const dataDir = join(workDir, `${label}-data`);
  const { store, userId } = await openNew(dataDir);
  const targetDir = join(workDir, `${label}-target`);
  await mkdir(targetDir);
  const target = await openDirectoryTarget(targetDir);
  const source = openBackupSource(dataDir);
  const shipper = new TargetShipper(target, { store, source, ...(replay ? { snapshotEveryChanges: Number.MAX_SAFE_INTEGER } : {}) });
  if (replay) await shipper.pass();
  await fill(store, userId);
  const shipStarted = process.hrtime.bigint();
  await shipper.pass();
  const shipSeconds = Number(process.hrtime.bigint() - shipStarted) / 1e9;
  source.close();
  await store.close();
  const restoreStarted = process.hrtime.bigint();
  const outcome = await restoreToPointInTime({ target, to: join(workDir, `${label}-restored`), point: { kind: 'latest' } });
  const restoreSeconds = Number(process.hrtime.bigint() - restoreStarted) / 1e9;
  if (outcome.kind !== 'restored' || !outcome.integrity.ok) throw new Error(`${label}: the restore failed: ${JSON.stringify(outcome)}`);
  const bytes = Number(execFileSync('du', ['-sb', targetDir]).toString().split('\t')[0]);
  // The baseline: copying the target's bytes with cp, then syncing them, in the same run.
  const cpStarted = process.hrtime.bigint();
  execFileSync('cp', ['-r', targetDir, join(workDir, `${label}-cp`)]);
  execFileSync('sync', ['-f', join(workDir, `${label}-cp`)]);
  const cpSeconds = Number(process.hrtime.bigint() - cpStarted) / 1e9;
  await target.close();
  return { label, bytes, shipSeconds, restoreSeconds, cpSeconds, records: outcome.records };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, items: { type: 'string' }, 'blob-mib': { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } },
    strict: true,
  });
  const items = Number(values.items ?? 100_000);
  const blobMib = Number(values['blob-mib'] ?? 256);
  const rate = Number(values.rate ?? 200);
  const seconds = Number(values.seconds ?? 10);
  const workDir = await mkdtemp(join(resolve(values.dir ?? tmpdir()), 'holdfast-bench-backup-'));
  try {
    console.log(`backup benchmark in ${workDir} (${cpus().length} CPUs, Node ${process.version})`);
    const lag = await measureLag(workDir, rate, seconds);
    console.log(
      `\nbackup lag at a steady ${rate} writes/s for ${seconds} s (${lag.writes} writes, ${lag.samples} samples every 100 ms): ` +
        `p50 ${lag.p50Seconds.toFixed(3)} s, p95 ${lag.p95Seconds.toFixed(3)} s, max ${lag.maxSeconds.toFixed(3)} s, at most ${lag.maxChanges} changes behind`,
    );
    const fillContacts = async (store: Store, userId: number) => {
      const user = store.forUser(userId);
      for (let start = 0; start < items; start += 256) {
        const batch = [];
        for (let n = start; n < Math.min(items, start + 256); n += 1) batch.push(user.putItem('contacts', `c${n}.vcf`, contact(n), { contentType: 'text/vcard', author: 'bench' }));
        await Promise.all(batch);
      }
    };
    const contacts = await measureRestore(workDir, 'contacts', false, fillContacts);
    const replayed = await measureRestore(workDir, 'replayed', true, fillContacts);
    const blobs = await measureRestore(workDir, 'blobs', false, async (store, userId) => {
      const user = store.forUser(userId);
      for (let n = 0; n < blobMib; n += 1) await user.putItem('files', `f${n}.bin`, randomBytes(1024 * 1024), { contentType: 'application/octet-stream', author: 'bench' });
    });
    console.log('\n"snapshot": restored from a snapshot; "replayed": every change replayed from segments (the worst case)');
    console.log('what                         bytes on target   ship (backup run)   restore    cp -r + sync   restore / cp');
    const rows = [
      [`${items} contacts, snapshot`, contacts],
      [`${items} contacts, replayed`, replayed],
      [`${blobMib} MiB of 1 MiB blobs`, blobs],
    ] as const;
    for (const [what, r] of rows) {
      console.log(
        `${what.padEnd(28)} ${`${(r.bytes / 1024 / 1024).toFixed(1)} MiB`.padStart(15)}   ${`${r.shipSeconds.toFixed(2)} s`.padStart(17)}   ${`${r.restoreSeconds.toFixed(2)} s`.padStart(8)}   ${`${r.cpSeconds.toFixed(2)} s`.padStart(12)}   ${(r.restoreSeconds / r.cpSeconds).toFixed(1).padStart(11)}x`,
      );
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
