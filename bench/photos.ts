// The photo library's decode cost: how long the indexer's work on one photo takes (EXIF,
// a 1600-pixel preview and a 256-pixel thumbnail, one at a time, sharp on one thread),
// next to a baseline measured in the same run — a bare 256-pixel thumbnail straight from
// the original — and how long the event loop is held up meanwhile (what requests would
// wait), next to the same loop idle.
//
// Then the cost of listing a library of --library files (the listing scans the user's files
// on every page; see docs/photos.md): one page of 100, next to the bare scan of the items.
//
//   npm run bench:photos -- [--count 10] [--megapixels 12] [--library 10000]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pino from 'pino';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { liveFiles, page, photoEntries } from '../src/photos/library-entries.ts';
import { createPhotoLibrary } from '../src/photos/photo-library.ts';
import { readPhotoMetadata } from '../src/photos/read-photo-metadata.ts';
import { openStore } from '../src/store/open-store.ts';
import { renderVariants } from '../src/photos/render-variants.ts';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function photo(index: number, megapixels: number): Promise<Buffer> {
  const width = Math.round(Math.sqrt((megapixels * 1e6 * 4) / 3));
  const height = Math.round((width * 3) / 4);
  // Noise over a gradient: compresses about like a real photo (a flat colour would flatter).
  const gradient = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="hsl(${index * 37},70%,40%)"/><stop offset="1" stop-color="hsl(${index * 37 + 120},70%,70%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`,
  );
  const noise = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 12 } } }).png().toBuffer();
  return sharp(gradient)
    .composite([{ input: noise, blend: 'overlay' }])
    .jpeg({ quality: 90 })
    .withExif({ IFD0: { Make: 'Bench', Model: 'Camera' }, IFD2: { DateTimeOriginal: '2024:05:01 10:20:30', OffsetTimeOriginal: '+02:00' } })
    .toBuffer();
}

async function loopDelayDuring(work: () => Promise<void>): Promise<{ p50: number; p99: number; max: number }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  await work();
  histogram.disable();
  return { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
}

async function timeListing(files: number, sample: Buffer): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-bench-photos-'));
  try {
    const opened = await openStore({ dataDir: join(dir, 'data'), initializeIfEmpty: true });
    if (opened.kind !== 'opened') throw new Error(opened.reason);
    const { store } = opened;
    const created = await store.accounts.createUser('bench', 'not-a-password-hash');
    const userStore = store.forUser(created.user.id);
    const folders = 10;
    for (let f = 0; f < folders; f++) await userStore.createCollection({ name: `folder-${f}`, kind: 'files' });
    console.log(`\nloading ${files} files into ${folders} folders…`);
    for (let start = 0; start < files; start += 200) {
      await Promise.all(
        Array.from({ length: Math.min(200, files - start) }, (_, i) => {
          const n = start + i;
          // Distinct content per file, as a real library has: the same small JPEG plus a tag.
          const bytes = Buffer.concat([sample, Buffer.from(String(n))]);
          return userStore.putItem(`folder-${n % folders}`, `IMG_${String(n).padStart(6, '0')}.jpg`, bytes, { contentType: 'image/jpeg', author: 'bench' });
        }),
      );
    }
    const photos = createPhotoLibrary({ store, dataDir: join(dir, 'data'), log: pino({ level: 'silent' }) });
    const scan: number[] = [];
    const listing: number[] = [];
    for (let run = 0; run < 7; run++) {
      let started = performance.now();
      await liveFiles(userStore);
      scan.push(performance.now() - started);
      started = performance.now();
      const first = page(photoEntries(await liveFiles(userStore), photos), null, 100);
      listing.push(performance.now() - started);
      if (first.photos.length !== 100) throw new Error(`a page of ${first.photos.length}`);
    }
    console.log(`| ${files} files | median | slowest |`);
    console.log('|---|---|---|');
    console.log(`| baseline: scan the user's files (listCollections + listItems) | ${median(scan).toFixed(0)} ms | ${Math.max(...scan).toFixed(0)} ms |`);
    console.log(`| GET /photos: scan, join with the index, sort, one page of 100 | ${median(listing).toFixed(0)} ms | ${Math.max(...listing).toFixed(0)} ms |`);
    await photos.close();
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { count: { type: 'string' }, megapixels: { type: 'string' }, library: { type: 'string' } }, strict: true });
  const count = Number(values.count ?? 10);
  const megapixels = Number(values.megapixels ?? 12);
  if (!Number.isInteger(count) || count < 1 || !(megapixels > 0)) throw new RangeError('--count takes a positive whole number, --megapixels a positive number');
  sharp.concurrency(1);
  console.log(`making ${count} photos of ${megapixels} megapixels…`);
  const photos: Buffer[] = [];
  for (let i = 0; i < count; i++) photos.push(await photo(i, megapixels));
  const meanBytes = photos.reduce((sum, p) => sum + p.length, 0) / count;

  const baseline: number[] = [];
  const ours: number[] = [];
  const idle = await loopDelayDuring(() => new Promise((resolve) => setTimeout(resolve, 1000)));
  const baselineLoop = await loopDelayDuring(async () => {
    for (const bytes of photos) {
      const started = performance.now();
      await sharp(bytes).rotate().resize(256, 256, { fit: 'inside' }).jpeg().toBuffer();
      baseline.push(performance.now() - started);
    }
  });
  const oursLoop = await loopDelayDuring(async () => {
    for (const bytes of photos) {
      const started = performance.now();
      await readPhotoMetadata(bytes);
      await renderVariants(bytes);
      ours.push(performance.now() - started);
    }
  });

  const ms = (value: number): string => `${value.toFixed(0)} ms`;
  console.log(`\n${count} photos, ${megapixels} MP, mean ${(meanBytes / 1e6).toFixed(1)} MB, sharp on 1 thread, one at a time`);
  console.log('| work per photo | median | slowest | photos/s | event loop delay p50 / p99 / max |');
  console.log('|---|---|---|---|---|');
  const row = (name: string, times: number[], loop: { p50: number; p99: number; max: number }): void =>
    console.log(`| ${name} | ${ms(median(times))} | ${ms(Math.max(...times))} | ${(1000 / median(times)).toFixed(1)} | ${loop.p50.toFixed(1)} / ${loop.p99.toFixed(1)} / ${loop.max.toFixed(1)} ms |`);
  row('baseline: bare 256-px thumbnail', baseline, baselineLoop);
  row('library: EXIF + 1600-px preview + 256-px thumbnail', ours, oursLoop);
  console.log(`| idle (1 s, nothing decoding) | | | | ${idle.p50.toFixed(1)} / ${idle.p99.toFixed(1)} / ${idle.max.toFixed(1)} ms |`);

  const libraryFiles = Number(values.library ?? 10_000);
  if (!Number.isInteger(libraryFiles) || libraryFiles < 100) throw new RangeError('--library takes a whole number of at least 100');
  await timeListing(libraryFiles, await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().toBuffer());
}

await main();
