// Real Chromium for the browser tests (Debian's /usr/bin/chromium through playwright-core),
// and a plain HTTP server for the pages they load: a page needs a real origin for IndexedDB,
// and one other than the sync server's for CORS to matter.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Why the browser tests skip here, or undefined when they run. They never skip in CI: there a
 * missing Chromium fails them (launchChromium says what to install).
 */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === 'true') return undefined;
  return `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium); these tests fail instead of skipping when CI=true`;
}

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`the browser tests need Debian's Chromium at ${CHROMIUM_PATH}: apt-get install chromium`);
  }
  const args = ['--disable-dev-shm-usage', '--disable-gpu'];
  // Chromium refuses to start its sandbox as root (containers, CI); it needs no sandbox for our own pages.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args, timeout: 60_000 });
}

export interface StaticSite {
  /** http://127.0.0.1:PORT, with no trailing slash. */
  origin: string;
  close(): Promise<void>;
}

/** Serves fixed files by path ('/index.html'); '/' serves '/index.html'. */
export async function serveStatic(files: Record<string, { type: string; body: string }>): Promise<StaticSite> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const file = files[path === '/' ? '/index.html' : path];
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((done, fail) => {
        server.closeAllConnections();
        server.close((error) => (error ? fail(error) : done()));
      }),
  };
}
