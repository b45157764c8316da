// The replica contract (replica-contract.ts) on the IndexedDB engine in real Chromium: the
// cases are bundled into a page, and each runs there as its own test here.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { bundleForBrowser } from '../../scripts/build-browser-sdk.ts';
import { chromiumSkipReason, launchChromium, serveStatic, type StaticSite } from './browser/chromium.ts';
import { replicaContract } from './replica-contract.ts';

interface ContractPage {
  runContractCase(index: number, name: string): Promise<string | null>;
  readwriteDurabilities(name: string): Promise<string[]>;
  upgradeFromFirstVersion(name: string): Promise<string | null>;
}

describe('replica contract: IndexedDB in Chromium', { skip: chromiumSkipReason() }, () => {
  let browser: Browser | undefined;
  let site: StaticSite | undefined;
  let page: Page;

  before(async () => {
    const script = await bundleForBrowser('test/client/browser/page/contract-page.ts');
    site = await serveStatic({
      '/index.html': { type: 'text/html', body: '<!doctype html><title>replica contract</title><script type="module" src="/contract.js"></script>' },
      '/contract.js': { type: 'text/javascript', body: script },
    });
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
    await page.goto(`${site.origin}/`);
    await page.waitForFunction(() => 'contractReady' in globalThis);
  });
  after(async () => {
    await browser?.close();
    await site?.close();
  });

  for (const [index, contractCase] of replicaContract.entries()) {
    it(contractCase.name, async () => {
      const failure = await page.evaluate(
        ([i, name]) => (globalThis as unknown as ContractPage).runContractCase(i, name),
        [index, `contract-case-${index}`] as const,
      );
      assert.equal(failure, null);
    });
  }

  it("opens every write transaction with 'strict' durability, so a write is acknowledged only once it is on disk", async () => {
    const durabilities = await page.evaluate((name) => (globalThis as unknown as ContractPage).readwriteDurabilities(name), 'durability-check');
    assert.deepEqual(durabilities, ['strict', 'strict', 'strict', 'strict', 'strict', 'strict']);
  });

  it('a replica made by the first version of the engine (no collections) opens with everything it held, and keeps collections from then on', async () => {
    const failure = await page.evaluate((name) => (globalThis as unknown as ContractPage).upgradeFromFirstVersion(name), 'upgrade-from-v1');
    assert.equal(failure, null);
  });
});
