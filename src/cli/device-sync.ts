// `holdfast device sync`: keeps a full replica of an account in a state directory with the
// Node SDK (client/), once or, with --watch, until SIGINT/SIGTERM.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { utf8ToBase64 } from '../../client/portable.ts';
import { openSqliteReplica, summarizeSqliteReplica } from '../../client/replica-sqlite.ts';
import type { SqliteReplicaSummary } from '../../client/replica-sqlite.ts';
import { createSyncClient, SyncError } from '../../client/sync-client.ts';
import type { SyncAuth, SyncClient } from '../../client/sync-client.ts';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, usageError, writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { obtainSignInPassword, PASSWORD_ENV } from './device-password.ts';
import { describeSyncFailure, syncReportJson, syncReportLines } from './device-report.ts';
import type { SyncedDevice } from './device-report.ts';
import { createDeviceState, loadDeviceState, lockDeviceState, normalizeServerUrl, writeDeviceFile } from './device-state.ts';
import type { DeviceFile } from './device-state.ts';
import { watchSync } from './device-watch.ts';

/** 3: the sync ran, but a mass change waits for --confirm-mass-change. */
export const DEVICE_EXIT = { ...EXIT, paused: 3 } as const;

export const DEVICE_SYNC_USAGE = `  holdfast device sync --server URL --user NAME --state DIR [--password-stdin]
                       [--watch [--interval SECONDS]] [--json]
                       [--confirm-mass-change] [--server-moved]
`;

export const DEVICE_SYNC_HELP = `sync       Push this device's changes, pull the server's, and heal a server that forgot
             (came back empty, was restored from an older backup, or replaced): the
             replica puts back every revision the server lacks. DIR is created if it
             is missing; it then belongs to that user for good. The password is the
             first line of stdin with --password-stdin, else ${PASSWORD_ENV}, else
             asked at a terminal; use an app password made for this device.
             --watch keeps syncing live until Ctrl-C (SIGINT) or SIGTERM: it follows
             the server's event stream, syncs within a second of a change there or
             here, waits and retries (with backoff) while the server is away, and
             prints one line per change of status and per sync that moved something. --server may change (the server moved); if the
             new address is another store than the one the replica came from, pass
             --server-moved to say it is meant.
             Exit codes: 0 synced, 1 failed (nothing local is lost), 2 wrong command
             line, 3 paused: the server's changes would delete or overwrite more than
             30% of this device's items; run again with --confirm-mass-change if meant.
`;

const OPTIONS = {
  ...HELP_OPTION,
  server: { type: 'string' },
  user: { type: 'string' },
  state: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  json: { type: 'boolean' },
  'confirm-mass-change': { type: 'boolean' },
  'server-moved': { type: 'boolean' },
} as const;

interface SyncFlags {
  serverUrl: string;
  user: string;
  state: string;
  passwordFromStdin: boolean;
  watch: boolean;
  pollIntervalMs: number;
  json: boolean;
  confirmMassChange: boolean;
  serverMoved: boolean;
}

function readSyncFlags(args: string[], io: CliIo, usage: string): { kind: 'flags'; flags: SyncFlags } | { kind: 'exit'; code: number } {
  const parsed = parseCommandArgs(io, usage, [], () => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
  if (parsed.kind === 'exit') return parsed;
  const { server, user, state, interval, watch } = parsed.values;
  const exit = (message: string) => ({ kind: 'exit' as const, code: usageError(io, message, usage) });
  if (server === undefined || user === undefined || state === undefined) {
    const missing = [server === undefined && '--server', user === undefined && '--user', state === undefined && '--state'].filter(Boolean);
    return exit(`device sync needs ${missing.join(', ')}`);
  }
  const serverUrl = checkServerUrl(server);
  if (serverUrl === null) return exit(`--server must be an http:// or https:// URL, such as https://cloud.example.org; got "${server}"`);
  if (user === '') return exit('--user must name the account');
  let pollIntervalMs = 300_000;
  if (interval !== undefined) {
    const seconds = Number(interval);
    if (!Number.isFinite(seconds) || seconds <= 0) return exit(`--interval must be a number of seconds above 0; got "${interval}"`);
    if (watch !== true) return exit('--interval goes with --watch');
    pollIntervalMs = seconds * 1000;
  }
  const values = parsed.values;
  return {
    kind: 'flags',
    flags: {
      serverUrl,
      user,
      state,
      passwordFromStdin: values['password-stdin'] === true,
      watch: watch === true,
      pollIntervalMs,
      json: values.json === true,
      confirmMassChange: values['confirm-mass-change'] === true,
      serverMoved: values['server-moved'] === true,
    },
  };
}

export async function deviceSync(args: string[], io: CliIo, usage: string): Promise<number> {
  const read = readSyncFlags(args, io, usage);
  if (read.kind === 'exit') return read.code;
  const { flags } = read;
  const { serverUrl, user } = flags;

  const loaded = await loadDeviceState(flags.state);
  if (loaded.kind === 'invalid') return failure(io, loaded.message);
  // Whose data it is is checked before a password is asked for.
  if (loaded.kind === 'found' && loaded.device.user !== user && !replicaIsEmpty(loaded.replicaFile)) {
    return failure(
      io,
      `${loaded.dir} holds the replica of user "${loaded.device.user}" (from ${loaded.device.serverUrl}), not "${user}"; a state directory keeps one account's data. Use another --state directory for "${user}".`,
    );
  }

  const password = await obtainSignInPassword(io, { fromStdin: flags.passwordFromStdin, user });
  if (password.kind === 'failed') return failure(io, password.message);
  const auth: SyncAuth = { basic: { user, password: password.password } };

  let state: { device: DeviceFile; dir: string; replicaFile: string };
  if (loaded.kind === 'found') state = loaded;
  else {
    const created = await createDeviceState(flags.state, { user, serverUrl });
    if (created.kind === 'not-empty') return failure(io, created.message);
    state = created;
    writeLine(io.stderr, `holdfast: made the device state directory ${created.dir} (device ${created.device.deviceId}) for ${user} at ${serverUrl}`);
  }

  const lock = await lockDeviceState(state.dir);
  if (lock.kind === 'busy') {
    return failure(io, `another 'holdfast device sync' (process ${lock.pid}) is using ${state.dir}; stop it first, or let it do the syncing`);
  }
  try {
    const owner = await settleOwner(io, state, { user, serverUrl, auth, serverMoved: flags.serverMoved });
    if (owner.kind === 'refused') return failure(io, owner.message);
    const replica = openSqliteReplica(state.replicaFile);
    try {
      const client = createSyncClient({ serverUrl, auth, replica, deviceId: state.device.deviceId });
      if (flags.confirmMassChange) client.confirmMassChange();
      const device: SyncedDevice = { deviceId: state.device.deviceId, server: serverUrl, user, stateDir: state.dir };
      if (flags.watch) return await watchSync({ io, client, device, auth, pollIntervalMs: flags.pollIntervalMs, json: flags.json });
      return await syncOnceAndReport(io, client, device, state.replicaFile, flags.json);
    } finally {
      await replica.close();
    }
  } finally {
    await lock.release();
  }
}

async function syncOnceAndReport(io: CliIo, client: SyncClient, device: SyncedDevice, replicaFile: string, json: boolean): Promise<number> {
  let report;
  try {
    report = await client.syncOnce();
  } catch (error) {
    const message = describeSyncFailure(error, device);
    if (message === null) throw error;
    return failure(io, message);
  }
  if (json) writeLine(io.stdout, JSON.stringify(syncReportJson(device, report), null, 2));
  else for (const line of syncReportLines(device, report, liveItemCount(replicaFile))) writeLine(io.stdout, line);
  return report.paused ? DEVICE_EXIT.paused : DEVICE_EXIT.ok;
}

function liveItemCount(replicaFile: string): number {
  return summarizeSqliteReplica(replicaFile).collections.reduce((sum, collection) => sum + collection.live, 0);
}

function checkServerUrl(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return normalizeServerUrl(url.toString());
}

function summaryOf(replicaFile: string): SqliteReplicaSummary | null {
  return existsSync(replicaFile) ? summarizeSqliteReplica(replicaFile) : null;
}

/** A replica that holds nothing belongs to no one yet: a mistyped --user on the first run can be corrected. */
function replicaIsEmpty(replicaFile: string): boolean {
  const summary = summaryOf(replicaFile);
  return summary === null || summary.revisions === 0;
}

/**
 * The state directory keeps its user for good (once it holds data). Its server may move:
 * to the same store at a new address freely, to another store (a new server replacing the
 * old one, which the replica will heal) only with --server-moved, since pushing a
 * household's data to a server that is not theirs cannot be taken back.
 */
async function settleOwner(
  io: CliIo,
  state: { device: DeviceFile; dir: string; replicaFile: string },
  wanted: { user: string; serverUrl: string; auth: SyncAuth; serverMoved: boolean },
): Promise<{ kind: 'settled' } | { kind: 'refused'; message: string }> {
  const { device } = state;
  if (device.user === wanted.user && device.serverUrl === wanted.serverUrl) return { kind: 'settled' };
  // The device file changes only once the new server has answered and let this user in:
  // a mistyped --server or password must not move the replica anywhere.
  let storeId: string;
  try {
    storeId = await fetchStoreId(wanted.serverUrl, wanted.auth);
  } catch (error) {
    const message = describeSyncFailure(error, { server: wanted.serverUrl, user: wanted.user });
    if (message === null) throw error;
    return { kind: 'refused', message };
  }
  const summary = summaryOf(state.replicaFile);
  const holdsData = summary !== null && summary.revisions > 0;
  if (holdsData && summary.cursor?.storeId !== storeId && !wanted.serverMoved) {
    return {
      kind: 'refused',
      message:
        `${state.dir} holds ${device.user}'s replica from ${device.serverUrl}` +
        (summary.cursor ? ` (store ${summary.cursor.storeId})` : '') +
        `, and ${wanted.serverUrl} is another store (${storeId}). If the server moved there — a new address, or a new server that replaces the old one — ` +
        `run again with --server-moved: this device will put back everything that server lacks. To keep a replica of another server, use another --state directory.`,
    };
  }
  if (device.user !== wanted.user) writeLine(io.stderr, `holdfast: ${state.dir} held no data yet; it now belongs to "${wanted.user}" instead of "${device.user}"`);
  if (device.serverUrl !== wanted.serverUrl) writeLine(io.stderr, `holdfast: this device now syncs with ${wanted.serverUrl} (was ${device.serverUrl})`);
  const updated: DeviceFile = { ...device, user: wanted.user, serverUrl: wanted.serverUrl };
  await writeDeviceFile(state.dir, updated);
  state.device = updated;
  return { kind: 'settled' };
}

async function fetchStoreId(serverUrl: string, auth: SyncAuth): Promise<string> {
  const authorization = 'bearer' in auth ? `Bearer ${auth.bearer}` : `Basic ${utf8ToBase64(`${auth.basic.user}:${auth.basic.password}`)}`;
  const response = await fetch(`${serverUrl}/api/v1/sync`, { headers: { authorization } });
  if (!response.ok) throw new SyncError(`the handshake failed: HTTP ${response.status}`, response.status);
  return ((await response.json()) as { storeId: string }).storeId;
}
