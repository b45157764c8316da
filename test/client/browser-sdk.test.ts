// The device SDK in real Chromium, against a real server on another origin (CORS): a web app
// writes while the browser is offline, survives a reload from IndexedDB, and syncs every
// byte when the network returns; and it receives what another device wrote.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import type { ReplicaStore } from '../../client/replica.ts';
import { createSyncClient } from '../../client/sync-client.ts';
import { buildBrowserSdk, bundleForBrowser } from '../../scripts/build-browser-sdk.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import type { BrowserApp } from './browser/app-api.ts';
import { chromiumSkipReason, launchChromium, serveStatic, type StaticSite } from './browser/chromium.ts';

const vcard = ['BEGIN:VCARD', 'VERSION:4.0', 'UID:ada-lovelace', 'FN:Ada Lovelace', 'N:Lovelace;Ada;;;', 'EMAIL:ada@example.org', 'END:VCARD', ''].join('\r\n');
const note = JSON.stringify({ title: 'Offline', body: 'written on a train, ünïcödé ✓' });
// Over the server's 64 KiB inline limit: it goes up as a blob and comes back by href.
const photo = Uint8Array.from({ length: 200 * 1024 + 17 }, (_, i) => (i * 2654435761) >>> 24);
/** Bytes no compressor shrinks (Chromium compresses what it stores in IndexedDB). */
const noise = (length: number) => Uint8Array.from({ length }, (_, i) => (Math.imul(i + 1, 2654435761) ^ Math.imul(i >>> 7, 40503)) >>> 24);
const base64 = (bytes: Uint8Array | string) => Buffer.from(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes).toString('base64');

/** Calls a method of the page's app; arguments and answers travel as JSON. */
function call<K extends keyof BrowserApp>(page: Page, method: K, ...args: Parameters<BrowserApp[K]>): Promise<Awaited<ReturnType<BrowserApp[K]>>> {
  return page.evaluate(
    // The page's globalThis carries the app (page/notes-app.ts); its methods take and give JSON.
    async ([name, values]) => {
      const target = (globalThis as unknown as { app: Record<string, (...a: unknown[]) => Promise<unknown>> }).app[name];
      if (!target) throw new Error(`the page's app has no ${name}`);
      return target(...values);
    },
    [method, args] as [string, unknown[]],
  ) as Promise<Awaited<ReturnType<BrowserApp[K]>>>;
}

/** Asks again every 100 ms until the answer is yes; gives up after 30 s so a broken stream fails rather than hangs. */
async function eventually(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let tries = 0; tries < 300; tries += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`never happened: ${what}`);
}

describe('the SDK in Chromium', { skip: chromiumSkipReason() }, () => {
  let site: StaticSite | undefined;
  let harness: Harness | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  const nodeReplicas: ReplicaStore[] = [];
  let token: string;

  async function loadApp(): Promise<void> {
    await page.waitForFunction(() => 'appLoaded' in globalThis);
    await call(page, 'ready');
    await call(page, 'open', harness?.url ?? '', token);
  }

  /** A device on Node with its own replica: what the server holds, as another device sees it. */
  function nodeDevice(deviceId: string) {
    const replica = openSqliteReplica(':memory:');
    nodeReplicas.push(replica);
    return createSyncClient({ serverUrl: harness?.url ?? '', auth: { bearer: token }, replica, deviceId });
  }

  before(async () => {
    // The page's origin must be known before the server starts, to allow it.
    const files: Record<string, { type: string; body: string }> = {};
    site = await serveStatic(files);
    files['/index.html'] = { type: 'text/html', body: '<!doctype html><title>notes</title><script type="module" src="/app.js"></script>' };
    files['/app.js'] = { type: 'text/javascript', body: await bundleForBrowser('test/client/browser/page/notes-app.ts') };
    files['/holdfast-sdk.js'] = { type: 'text/javascript', body: await buildBrowserSdk() };
    files['/service-worker.js'] = { type: 'text/javascript', body: await readFile(new URL('browser/page/service-worker.js', import.meta.url), 'utf8') };
    harness = await startHarness({ config: { corsOrigins: [site.origin] } });
    token = harness.bearer.alice.replace(/^Bearer /, '');
    browser = await launchChromium();
    context = await browser.newContext();
    page = await context.newPage();
    await page.goto(`${site.origin}/`);
    await loadApp();
  });
  after(async () => {
    await browser?.close();
    for (const replica of nodeReplicas) await replica.close();
    await harness?.close();
    await site?.close();
  });

  it('the SDK bundle imports nothing from Node and uses no Buffer', async () => {
    const code = await buildBrowserSdk();
    assert.doesNotMatch(code, /\bfrom\s*["']node:|\brequire\(|\bBuffer\b/);
    assert.match(code, /export\s*\{[^}]*createSyncClient/);
  });

  it('keeps writes made offline across a reload, fails a sync clearly, and sends every byte when the network returns', async () => {
    await context.setOffline(true);
    const ids = [
      await call(page, 'put', 'contacts', 'contacts', 'ada.vcf', base64(vcard), 'text/vcard'),
      await call(page, 'put', 'notes', 'notes', 'offline.json', base64(note), 'application/json'),
      await call(page, 'put', 'photos', 'files', 'tower.jpg', base64(photo), 'image/jpeg'),
    ];
    assert.deepEqual(await call(page, 'outbox'), ids, 'every write succeeded at once and waits in the outbox');

    await page.reload();
    await loadApp();
    assert.deepEqual((await call(page, 'list')).sort(), ['contacts/ada.vcf', 'notes/offline.json', 'photos/tower.jpg']);
    assert.equal((await call(page, 'get', 'photos', 'tower.jpg'))?.base64, base64(photo), 'read back from IndexedDB after the reload');
    assert.deepEqual(await call(page, 'outbox'), ids);

    const offline = await call(page, 'sync');
    assert.equal(offline.ok, false);
    assert.ok(!offline.ok && offline.name === 'SyncError', `a SyncError, not ${JSON.stringify(offline)}`);
    assert.match(offline.message, /cannot reach the server at .*nothing is lost/);
    assert.deepEqual(await call(page, 'outbox'), ids, 'a failed sync loses nothing');
    assert.equal((await call(page, 'get', 'notes', 'offline.json'))?.base64, base64(note));

    await context.setOffline(false);
    const online = await call(page, 'sync');
    assert.deepEqual(online, { ok: true, pushed: 3, pulled: 0, healed: false, refused: 0 });
    assert.deepEqual(await call(page, 'outbox'), [], 'the server acknowledged every write');

    const other = nodeDevice('check-offline');
    await other.syncOnce();
    const onServer = await other.list();
    assert.deepEqual(onServer.map((i) => `${i.collectionPath}/${i.name}`).sort(), ['contacts/ada.vcf', 'notes/offline.json', 'photos/tower.jpg']);
    assert.deepEqual((await other.get('contacts', 'ada.vcf'))?.content, new TextEncoder().encode(vcard));
    assert.deepEqual((await other.get('notes', 'offline.json'))?.content, new TextEncoder().encode(note));
    assert.deepEqual((await other.get('photos', 'tower.jpg'))?.content, photo);
    assert.equal((await other.get('photos', 'tower.jpg'))?.contentType, 'image/jpeg');
    assert.deepEqual(onServer.map((i) => i.headId).sort(), [...ids].sort(), 'the server holds the revisions the browser made');
  });

  it('receives what another device wrote, large content included, after a sync', async () => {
    const other = nodeDevice('laptop');
    await other.syncOnce();
    const scan = Uint8Array.from({ length: 150 * 1024 }, (_, i) => (i * 40503) % 251);
    await other.put('notes', 'notes', 'from-laptop.json', new TextEncoder().encode('{"title":"from the laptop"}'), 'application/json');
    await other.put('files', 'files', 'scan.pdf', scan, 'application/pdf');
    assert.equal((await other.syncOnce()).pushed, 2);

    const synced = await call(page, 'sync');
    assert.ok(synced.ok, JSON.stringify(synced));
    assert.equal(synced.pulled, 2);
    assert.equal((await call(page, 'get', 'notes', 'from-laptop.json'))?.base64, base64('{"title":"from the laptop"}'));
    const pulled = await call(page, 'get', 'files', 'scan.pdf');
    assert.equal(pulled?.base64, base64(scan), 'fetched by href across origins, verified against its hash');
    assert.equal(pulled?.contentType, 'application/pdf');
  });

  it('follows the event stream across origins: with live sync on, what another device writes arrives without the app syncing', async () => {
    await call(page, 'startLive', harness?.url ?? '', token);
    try {
      await eventually(async () => (await call(page, 'liveState')) === 'idle', 'live sync reaches idle (stream open, first sync done)');
      const other = nodeDevice('tablet');
      await other.syncOnce();
      await other.put('notes', 'notes', 'live.json', new TextEncoder().encode('{"title":"pushed while the page watched"}'), 'application/json');
      await other.syncOnce();
      await eventually(async () => (await call(page, 'get', 'notes', 'live.json')) !== null, "the other device's note arrives by itself");
      assert.equal((await call(page, 'get', 'notes', 'live.json'))?.base64, base64('{"title":"pushed while the page watched"}'));
    } finally {
      await call(page, 'stopLive');
    }
  });

  it('refuses a write that does not fit the browser storage quota, and keeps what was written before it', async () => {
    // A context of its own: Chromium applies a quota override to storage opened after it.
    const full = await (browser as Browser).newContext();
    try {
      const fullPage = await full.newPage();
      const origin = site?.origin ?? '';
      await fullPage.goto(`${origin}/`);
      await fullPage.waitForFunction(() => 'appLoaded' in globalThis);
      const cdp = await full.newCDPSession(fullPage);
      await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 256 * 1024 });
      await call(fullPage, 'open', harness?.url ?? '', token);
      const kept = await call(fullPage, 'put', 'notes', 'notes', 'kept.txt', base64('written before the disk filled'), 'text/plain');
      const tooBig = await call(fullPage, 'tryPut', 'notes', 'notes', 'kept.txt', base64(noise(1024 * 1024)), 'application/octet-stream');
      assert.ok(!tooBig.ok, 'the write is refused');
      assert.equal(tooBig.name, 'QuotaExceededError', tooBig.message);
      assert.deepEqual(await call(fullPage, 'outbox'), [kept], 'the refused write left nothing in the outbox');
      assert.equal((await call(fullPage, 'get', 'notes', 'kept.txt'))?.base64, base64('written before the disk filled'));
    } finally {
      await full.close();
    }
  });

  it('cannot sync with a server that does not list the page origin in corsOrigins, and says so as a SyncError', async () => {
    const closed = await startHarness();
    try {
      await call(page, 'open', closed.url, closed.bearer.alice.replace(/^Bearer /, ''), 'no-cors-replica');
      await call(page, 'put', 'notes', 'notes', 'kept.txt', base64('kept locally'), 'text/plain');
      const refused = await call(page, 'sync');
      assert.ok(!refused.ok && refused.name === 'SyncError', JSON.stringify(refused));
      assert.match(refused.message, /cannot reach the server/, 'the browser hides why: a CORS refusal looks like a network failure');
      assert.equal((await call(page, 'outbox')).length, 1, 'the write waits in the outbox');
    } finally {
      await call(page, 'open', harness?.url ?? '', token);
      await closed.close();
    }
  });
});
