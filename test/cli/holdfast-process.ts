// Runs the real `holdfast` command (bin/holdfast.js) as a child process, the way a person
// or a script would, and makes data directories holding a real store for it to work on.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';

export const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'holdfast.js');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `holdfast ...args` with `input` on stdin (a pipe: never a terminal). The
 * environment is the test's minus HOLDFAST_* settings, plus `env`. */
export function holdfast(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Finished> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...environment(), ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The test's environment without HOLDFAST_* settings, which would change what is tested. */
export function environment(): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HOLDFAST_')));
}

/** A fresh temporary directory; `cleanup` removes it. */
export async function temporaryDirectory(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A data directory holding a new, empty store, as `holdfast serve` leaves it on first start. */
export async function dataDirectoryWithStore(): Promise<{ dir: string; storeId: string; cleanup: () => Promise<void> }> {
  const temporary = await temporaryDirectory();
  const dir = join(temporary.dir, 'data');
  const store = await openExisting(dir, { initialize: true });
  const { storeId } = await store.identity();
  await store.close();
  return { dir, storeId, cleanup: temporary.cleanup };
}

/**
 * For a test file, called at its top level: a data directory holding a new store for each
 * test, removed after it. `dir` is that test's directory.
 */
export function dataDirectoryForEachTest(): { readonly dir: string } {
  let current: { dir: string; cleanup: () => Promise<void> } | null = null;
  beforeEach(async () => {
    current = await dataDirectoryWithStore();
  });
  afterEach(async () => {
    await current?.cleanup();
    current = null;
  });
  return {
    get dir(): string {
      if (current === null) throw new Error('the data directory exists only while a test runs');
      return current.dir;
    },
  };
}

/** Opens the store in `dir` to look at what a command did. Close it before the next command. */
export async function openExisting(dir: string, options: { initialize?: boolean } = {}): Promise<Store> {
  const opened = await openStore({ dataDir: dir, initializeIfEmpty: options.initialize === true });
  if (opened.kind !== 'opened') throw new Error(`could not open the store in ${dir}: ${opened.reason}`);
  return opened.store;
}

/** Runs `use` on the store in `dir`, closing it afterwards. */
export async function withOpenStore<T>(dir: string, use: (store: Store) => Promise<T>): Promise<T> {
  const store = await openExisting(dir);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
