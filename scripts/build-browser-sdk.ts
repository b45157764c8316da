// Bundles the device SDK for browsers: client/browser.ts (the sync client and the IndexedDB
// replica) into one ES module with esbuild. The browser platform makes any node: import a
// build error, so a Node-only API cannot slip into the bundle.
//   npm run build:browser-sdk [-- OUTFILE]    (default dist/holdfast-sdk.js)
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles a browser entry point (a path from the repository root) into one ES module's text. */
export async function bundleForBrowser(entry: string, options: { minify?: boolean } = {}): Promise<string> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    // Browsers from 2022 on: IndexedDB durability hints, top-level await, structuredClone.
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    minify: options.minify ?? false,
    sourcemap: options.minify ? false : 'inline',
    logLevel: 'silent',
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return output.text;
}

/** The SDK's browser bundle (exports of client/browser.ts). */
export function buildBrowserSdk(options: { minify?: boolean } = {}): Promise<string> {
  return bundleForBrowser('client/browser.ts', options);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = resolve(process.argv[2] ?? resolve(root, 'dist/holdfast-sdk.js'));
  const code = await buildBrowserSdk({ minify: true });
  await mkdir(dirname(outfile), { recursive: true });
  await writeFile(outfile, code);
  console.log(`wrote ${outfile} (${code.length} bytes)`);
}
