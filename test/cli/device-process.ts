// For tests of `holdfast device`: a real `holdfast serve` process with a user made by the
// real `holdfast user add`, `holdfast device …` run as child processes, and the device's
// replica opened in the test process (with the SDK) to write into it or read it back.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import type { ReplicaItem } from '../../client/replica.ts';
import { createSyncClient } from '../../client/sync-client.ts';
import type { SyncClient } from '../../client/sync-client.ts';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { openStore } from '../../src/store/open-store.ts';
import { startServerProcess } from '../backup/server-process.ts';
import type { ServerProcess } from '../backup/server-process.ts';
import { createRandom } from '../seeded-random.ts';
import { BIN, environment, holdfast } from './holdfast-process.ts';
import type { Finished } from './holdfast-process.ts';

export const USER = 'alice';
export const PASSWORD = 'correct horse battery staple';

/**
 * `holdfast serve` on `dataDir` (a new store if it is empty) with USER signed up, on a free
 * port or on `port`. With `userFirst`, the store and USER are made before the server starts,
 * so no client ever meets the server without the account.
 */
export async function serverWithUser(dataDir: string, options: { port?: number; userFirst?: boolean } = {}): Promise<ServerProcess> {
  if (options.userFirst === true) {
    const opened = await openStore({ dataDir, initializeIfEmpty: true });
    if (opened.kind !== 'opened') throw new Error(opened.reason);
    try {
      const added = await createAccounts(opened.store.accounts).addUser(USER, PASSWORD);
      if (added.kind !== 'created') throw new Error(`could not add ${USER}: ${added.kind}`);
    } finally {
      await opened.store.close();
    }
  }
  const server = await startServerProcess(dataDir, {}, options.port ?? 0);
  if (options.userFirst !== true) {
    try {
      await addUser(dataDir, USER);
    } catch (error) {
      await server.kill();
      throw error;
    }
  }
  return server;
}

/** `holdfast user add NAME` with PASSWORD, beside the running server. */
export async function addUser(dataDir: string, name: string): Promise<void> {
  const added = await holdfast(['user', 'add', name, '--password-stdin', '--data', dataDir], { input: `${PASSWORD}\n` });
  if (added.code !== 0) throw new Error(`holdfast user add ${name} failed: ${added.stderr}`);
}

/** `holdfast device sync` (for USER unless told), the password on stdin. */
export function deviceSync(
  stateDir: string,
  serverUrl: string,
  extra: string[] = [],
  options: { password?: string; user?: string } = {},
): Promise<Finished> {
  return holdfast(['device', 'sync', '--server', serverUrl, '--user', options.user ?? USER, '--password-stdin', '--state', stateDir, ...extra], {
    input: `${options.password ?? PASSWORD}\n`,
  });
}

/** Runs `use` with an SDK client on the device's own replica (no network needed for put and get). */
/** A running `holdfast device sync --watch --json`: what it has printed so far, and how to stop it. */
export interface WatchingDevice {
  stdout(): string;
  stderr(): string;
  /** Its JSON lines so far, one per event. */
  lines(): { event: string; state?: string; healed?: boolean; pulled?: number }[];
  /** Sends SIGTERM and resolves with its exit code. */
  stop(): Promise<number | null>;
}

export function watchDevice(stateDir: string, serverUrl: string): WatchingDevice {
  const child = spawn(process.execPath, [BIN, 'device', 'sync', '--server', serverUrl, '--user', USER, '--password-stdin', '--state', stateDir, '--watch', '--json'], {
    env: environment(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(`${PASSWORD}\n`);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    lines: () => stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as ReturnType<WatchingDevice['lines']>[number]),
    stop: () => {
      child.kill('SIGTERM');
      return closed;
    },
  };
}

export async function withReplica<T>(stateDir: string, use: (client: SyncClient) => Promise<T>): Promise<T> {
  const device = JSON.parse(await readFile(join(stateDir, 'device.json'), 'utf8')) as { deviceId: string };
  const replica = openSqliteReplica(join(stateDir, 'replica.sqlite'));
  try {
    const client = createSyncClient({ serverUrl: 'http://127.0.0.1:9', auth: { basic: { user: USER, password: PASSWORD } }, replica, deviceId: device.deviceId });
    return await use(client);
  } finally {
    await replica.close();
  }
}

/** Every live item of the device, by `collection/name`. */
export async function replicaItems(stateDir: string): Promise<Map<string, ReplicaItem>> {
  return withReplica(stateDir, async (client) => new Map((await client.list()).map((item) => [`${item.collectionPath}/${item.name}`, item])));
}

/** A real JPEG of seeded noise; noise does not compress, so 256×256 is well over 64 KiB. */
export async function noiseJpeg(seed: number, width: number, height: number): Promise<Uint8Array> {
  const pixels = new Uint8Array(width * height * 3);
  createRandom(seed).fill(pixels);
  const jpeg = await sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer();
  return new Uint8Array(jpeg);
}

export const vcard = (uid: string, name: string) =>
  ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, `FN:${name}`, `N:${name};;;;`, `EMAIL:${uid}@example.org`, 'END:VCARD', ''].join('\r\n');

export const vevent = (uid: string, summary: string, day: number) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Holdfast tests//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T090000Z',
    `DTSTART:202612${String(day).padStart(2, '0')}T100000Z`,
    `DTEND:202612${String(day).padStart(2, '0')}T110000Z`,
    `SUMMARY:${summary}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');

export const bytes = (text: string) => new TextEncoder().encode(text);
