// The state directory of `holdfast device`: the replica (a SQLite file, client/replica-sqlite.ts)
// and a small device file that says which device this is and whose data it holds. The
// device file is made once and written durably (temp → fsync → rename → fsync dir), so a
// crash never leaves a replica without its owner.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ensureDirectoryDurably, fsyncDirectory, writeFileDurably } from '../store/durable-fs.ts';

export const DEVICE_FILE = 'device.json';
export const REPLICA_FILE = 'replica.sqlite';
const LOCK_FILE = 'sync.lock';

export interface DeviceFile {
  format: 1;
  /** Names this device in revision ids; made once, never changed. */
  deviceId: string;
  /** The account the replica belongs to; a state directory never changes hands. */
  user: string;
  /** Where it syncs; may change when the server moves (see checkServerMove in device-sync.ts). */
  serverUrl: string;
  createdAt: string;
}

export type LoadedState =
  | { kind: 'found'; device: DeviceFile; dir: string; replicaFile: string }
  | { kind: 'absent'; dir: string }
  | { kind: 'invalid'; message: string };

/** Trailing slashes do not make another server. */
export function normalizeServerUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

export async function loadDeviceState(stateDir: string): Promise<LoadedState> {
  const dir = resolve(stateDir);
  let text: string;
  try {
    text = await readFile(join(dir, DEVICE_FILE), 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return { kind: 'absent', dir };
    if (isCode(error, 'ENOTDIR')) return { kind: 'invalid', message: `${dir} is not a directory` };
    throw error;
  }
  const device = parseDeviceFile(text);
  if (device === null) {
    return { kind: 'invalid', message: `${join(dir, DEVICE_FILE)} is not a device file holdfast can read; it was not changed. Move it away only if this directory holds no replica you need.` };
  }
  return { kind: 'found', device, dir, replicaFile: join(dir, REPLICA_FILE) };
}

function parseDeviceFile(text: string): DeviceFile | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const { deviceId, user, serverUrl, createdAt } = record;
  if (record.format !== 1 || typeof deviceId !== 'string' || typeof user !== 'string' || typeof serverUrl !== 'string') return null;
  return { format: 1, deviceId, user, serverUrl, createdAt: typeof createdAt === 'string' ? createdAt : '' };
}

/**
 * Makes a new state directory for `user` at `serverUrl`. An existing directory must be
 * empty: a replica is never started on top of files that are someone else's.
 */
export async function createDeviceState(
  stateDir: string,
  owner: { user: string; serverUrl: string },
): Promise<{ kind: 'created'; device: DeviceFile; dir: string; replicaFile: string } | { kind: 'not-empty'; message: string }> {
  const dir = resolve(stateDir);
  await ensureDirectoryDurably(dirname(dir));
  try {
    // 0700: the replica is the user's contacts, calendars and photos.
    await mkdir(dir, { mode: 0o700 });
    await fsyncDirectory(dirname(dir));
  } catch (error) {
    if (!isCode(error, 'EEXIST')) throw error;
    const entries = await readdir(dir);
    if (entries.length > 0) {
      return {
        kind: 'not-empty',
        message: `${dir} is not empty and holds no ${DEVICE_FILE}, so it is not a device's state directory; give --state a new or empty directory`,
      };
    }
  }
  const device: DeviceFile = {
    format: 1,
    deviceId: newDeviceId(),
    user: owner.user,
    serverUrl: normalizeServerUrl(owner.serverUrl),
    createdAt: new Date().toISOString(),
  };
  await writeDeviceFile(dir, device);
  return { kind: 'created', device, dir, replicaFile: join(dir, REPLICA_FILE) };
}

export async function writeDeviceFile(dir: string, device: DeviceFile): Promise<void> {
  await writeFileDurably(join(dir, DEVICE_FILE), `${JSON.stringify(device, null, 2)}\n`);
}

/** `<host>-<random>`: says which machine wrote a revision, and is unique if two share a name. */
function newDeviceId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .slice(0, 24);
  return `${host || 'cli'}-${randomBytes(6).toString('hex')}`;
}

/**
 * One `holdfast device sync` at a time per state directory: two would push the same
 * outbox and heal twice. The lock file holds the process id; a lock left by a process that
 * is gone (a crash, a power cut) is taken over.
 */
export async function lockDeviceState(dir: string): Promise<{ kind: 'locked'; release: () => Promise<void> } | { kind: 'busy'; pid: number }> {
  const path = join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const handle = await open(path, 'wx');
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return { kind: 'locked', release: () => unlink(path).catch(() => undefined) };
    } catch (error) {
      if (!isCode(error, 'EEXIST')) throw error;
    }
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) return { kind: 'busy', pid };
    await unlink(path).catch(() => undefined);
  }
  return { kind: 'busy', pid: 0 };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is only someone else's.
    return isCode(error, 'EPERM');
  }
}

function isCode(error: unknown, code: string): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === code;
}
