// The sync benchmark: a real Holdfast server (`holdfast serve` in a child process, a real store
// on disk) and devices made with the Node SDK (client/, SQLite replicas), over HTTP on 127.0.0.1.
//
//   npm run bench:sync -- [--contacts 10000] [--photos 1000] [--photo-kib 256] [--devices 100] [--writes 50] [--dir DIR] [--json]
//
// 1. A new device's first sync of an account holding --contacts contacts (iPhone-style vCards)
//    and --photos photos (file items of --photo-kib KiB each), next to the same pull with bare
//    fetch and the same rows inserted straight into SQLite, all in the same run.
// 2. --devices devices connected with startLiveSync, each with its own replica: the time from a
//    write on one device to its arrival in every other device's replica, over --writes writes,
//    next to a bare HTTP round trip to the same server.
// --dir picks the disk (a temporary directory inside it is removed afterwards).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchServer } from './dav-server.ts';
import { measureFsyncRate } from './fsync-rate.ts';
import { barePull, sdkInitialSync, sqliteInsert } from './sync-initial.ts';
import { measureLive } from './sync-live.ts';
import { seedContacts, seedPhotos } from './sync-seed.ts';

function wholeNumber(name: string, text: string | undefined, fallback: number, least: number): number {
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < least) throw new RangeError(`--${name} takes a whole number of at least ${least}, got ${text}`);
  return value;
}

function percentile(values: readonly number[], share: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))] ?? 0;
}

const ms = (value: number) => (value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${value.toFixed(value < 10 ? 1 : 0)} ms`);
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const loadAverage = () => loadavg().map((load) => load.toFixed(2)).join(' ');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      contacts: { type: 'string' },
      photos: { type: 'string' },
      'photo-kib': { type: 'string' },
      devices: { type: 'string' },
      writes: { type: 'string' },
      dir: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const contacts = wholeNumber('contacts', values.contacts, 10_000, 0);
  const photos = wholeNumber('photos', values.photos, 1_000, 0);
  const photoKib = wholeNumber('photo-kib', values['photo-kib'], 256, 1);
  const deviceCount = wholeNumber('devices', values.devices, 100, 2);
  const writes = wholeNumber('writes', values.writes, 50, 1);
  const workDir = await mkdtemp(join(resolve(values.dir ?? tmpdir()), 'holdfast-bench-sync-'));
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`;
  console.log(`sync benchmark in ${workDir}: ${machine}, load average ${loadAverage()}`);
  try {
    // Part 1: the initial sync.
    console.log(`\n1. initial sync: ${contacts} contacts and ${photos} photos of ${photoKib} KiB; starting holdfast serve`);
    const server = await startBenchServer(join(workDir, 'initial-data'));
    let initial;
    try {
      let started = performance.now();
      await seedContacts(server, contacts);
      await seedPhotos(server, photos, photoKib * 1024);
      console.log(`  seeded in ${ms(performance.now() - started)}; a warm-up pull with bare fetch…`);
      await barePull(server); // the server's caches warm for both: the measured runs start even
      console.log('  pulling with bare fetch…');
      const bare = await barePull(server);
      const insertMs = sqliteInsert(join(workDir, 'baseline.sqlite'), bare.rows);
      console.log('  a new device syncs with the SDK…');
      started = performance.now();
      const sdk = await sdkInitialSync(server, workDir, 'new-device');
      if (sdk.items !== contacts + photos) throw new Error(`the new device holds ${sdk.items} items, not ${contacts + photos}`);
      initial = { bare, insertMs, sdk };
    } finally {
      await server.stop();
    }
    const { bare, insertMs, sdk } = initial;
    const sdkRest = sdk.totalMs - sdk.pagesMs - sdk.contentMs - sdk.otherRequestsMs - sdk.commitMs - sdk.replicaReadsMs;
    console.log(`\n| initial sync of ${contacts} contacts + ${photos} photos (${photoKib} KiB each) | time |`);
    console.log('|---|---|');
    console.log(`| **SDK: new device, syncOnce() into a SQLite replica** | **${ms(sdk.totalMs)}** |`);
    console.log(`| … pulling ${bare.pages} change pages (metadata, vCards inline; ${mb(bare.pageBytes)}) | ${ms(sdk.pagesMs)} |`);
    console.log(`| … fetching ${bare.hrefs} photos' content by href (${mb(bare.contentBytes)}) | ${ms(sdk.contentMs)} |`);
    console.log(`| … handshake | ${ms(sdk.otherRequestsMs)} |`);
    console.log(`| … replica: applyPull, its batches of about 8 MiB | ${ms(sdk.commitMs)} |`);
    console.log(`| … replica: reads while planning (each item's head, the live-item count) | ${ms(sdk.replicaReadsMs)} |`);
    console.log(`| … the rest: hash checks, base64, planning | ${ms(sdkRest)} |`);
    console.log(`| baseline: the same change pages, bare fetch + JSON.parse | ${ms(bare.pagesMs)} |`);
    console.log(`| baseline: the same content hrefs, bare fetch, one at a time | ${ms(bare.contentMs)} |`);
    console.log(`| baseline: the same ${bare.rows.length} rows into one SQLite table, one transaction | ${ms(insertMs)} |`);
    const floor = bare.pagesMs + bare.contentMs + insertMs;
    console.log(`SDK ÷ (bare pull + bare content + bare insert) = ${(sdk.totalMs / floor).toFixed(2)}; metadata pages alone: SDK ${ms(sdk.pagesMs)} ÷ bare ${ms(bare.pagesMs)} = ${(sdk.pagesMs / bare.pagesMs).toFixed(2)}`);

    // Part 2: live sync with many devices.
    console.log(`\n2. live sync: ${deviceCount} devices, ${writes} writes; starting holdfast serve`);
    const liveServer = await startBenchServer(join(workDir, 'live-data'));
    const devicesDir = join(workDir, 'devices');
    await mkdir(devicesDir);
    // The devices share this process: each one's replica commit (an fsync) waits for the others'.
    const fsync = measureFsyncRate(devicesDir, 1);
    let live;
    try {
      live = await measureLive(liveServer, devicesDir, deviceCount, writes);
    } finally {
      await liveServer.stop();
    }
    const row = (name: string, values: number[]) =>
      console.log(`| ${name} | ${values.length} | ${ms(percentile(values, 0.5))} | ${ms(percentile(values, 0.95))} | ${ms(Math.max(...values))} |`);
    console.log(`\n| devices following with startLiveSync, in one process | samples | median | p95 | max |`);
    console.log('|---|---|---|---|---|');
    row(`**${deviceCount} devices: a put on one to its arrival in another's replica**`, live.crowd.arrivalsMs);
    row(`… to its arrival in the last of the other ${deviceCount - 1}`, live.crowd.lastArrivalMs);
    row('baseline: 2 devices, a put on one to its arrival in the other', live.pair.arrivalsMs);
    row('baseline: bare HTTP round trip (GET /api/v1/sync)', live.roundTripMs);
    const fsyncMs = 1000 / fsync.fsyncPerSecond;
    console.log(
      `the disk: ${fsync.fsyncPerSecond.toFixed(0)} fsyncs/s (${fsyncMs.toFixed(1)} ms each), so ${deviceCount - 1} replica commits one after another in this one process take at least ${ms((deviceCount - 1) * fsyncMs)}`,
    );
    const missing = live.crowd.missing + live.pair.missing;
    if (missing > 0) console.log(`WARNING: ${missing} arrivals did not happen within the deadline`);
    const median = (values: number[]) => percentile(values, 0.5);
    console.log(
      `median arrival with ${deviceCount} devices ÷ with 2 = ${(median(live.crowd.arrivalsMs) / median(live.pair.arrivalsMs)).toFixed(1)}; ` +
        `÷ bare round trip = ${(median(live.crowd.arrivalsMs) / median(live.roundTripMs)).toFixed(0)}`,
    );
    console.log(`load average at the end: ${loadAverage()} (${cpus().length} CPUs)`);
    if (values.json) {
      console.log(JSON.stringify({ machine, contacts, photos, photoKib, devices: deviceCount, writes, initial: { ...sdk, bare: { ...bare, rows: undefined }, insertMs }, live }));
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
