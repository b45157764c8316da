// The device replica's engines side by side: SQLite on Node (synchronous=FULL) and IndexedDB
// in Debian's Chromium (headless, every write transaction 'strict'), on the same workload
// (bench/replica-workload.ts): sequential local writes, one large pull, reads, a 5 MiB write.
//
//   npm run bench:replica -- [--dir DIR]
//
// --dir picks the disk for the SQLite file and Chromium's profile (default the system temp
// directory). Needs /usr/bin/chromium for the IndexedDB column.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { openSqliteReplica } from '../client/replica-sqlite.ts';
import { bundleForBrowser } from '../scripts/build-browser-sdk.ts';
import { CHROMIUM_PATH, serveStatic } from '../test/client/browser/chromium.ts';
import { measureReplica, type ReplicaFigures } from './replica-workload.ts';

async function measureIndexedDb(profileDir: string): Promise<ReplicaFigures> {
  const site = await serveStatic({
    '/index.html': { type: 'text/html', body: '<!doctype html><title>bench</title><script type="module" src="/bench.js"></script>' },
    '/bench.js': { type: 'text/javascript', body: await bundleForBrowser('bench/browser/replica-bench-page.ts') },
  });
  // A persistent profile on the chosen disk, so IndexedDB writes go where --dir says.
  const args = ['--disable-dev-shm-usage', '--disable-gpu', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM_PATH, headless: true, args });
  try {
    const page = await context.newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => 'benchReady' in globalThis);
    return await page.evaluate(() => (globalThis as unknown as { runReplicaBench(): Promise<ReplicaFigures> }).runReplicaBench());
  } finally {
    await context.close();
    await site.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' } }, strict: true });
  const workDir = await mkdtemp(join(resolve(values.dir ?? tmpdir()), 'holdfast-bench-replica-'));
  try {
    const sqlite = openSqliteReplica(join(workDir, 'replica.sqlite'));
    const onSqlite = await measureReplica(sqlite, () => performance.now());
    await sqlite.close();
    const onIndexedDb = await measureIndexedDb(join(workDir, 'chromium-profile'));

    const rows: [string, (f: ReplicaFigures) => string][] = [
      ['local writes per second (sequential, each durable)', (f) => String(f.writesPerSecond)],
      ['median local write, ms', (f) => f.writeMedianMs.toFixed(2)],
      [`pull of ${onSqlite.pullRevisions} revisions in one transaction, ms`, (f) => f.pullMs.toFixed(0)],
      [`list ${onSqlite.pullRevisions + 300} items, ms`, (f) => f.listItemsMs.toFixed(1)],
      ['read the outbox (300), ms', (f) => f.outboxMs.toFixed(1)],
      ['one 5 MiB local write, ms', (f) => f.largeWriteMs.toFixed(0)],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    console.log(`${'replica engine'.padEnd(width)}  ${'SQLite (Node)'.padStart(14)}  ${'IndexedDB (Chromium)'.padStart(20)}`);
    for (const [label, value] of rows) console.log(`${label.padEnd(width)}  ${value(onSqlite).padStart(14)}  ${value(onIndexedDb).padStart(20)}`);
    console.log(`disk: ${workDir}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
