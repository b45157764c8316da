// `holdfast device status`: what a device's state directory holds, read from the replica
// alone (no network), read-only so it can run beside a `device sync --watch`.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { summarizeSqliteReplica } from '../../client/replica-sqlite.ts';
import type { SqliteReplicaSummary } from '../../client/replica-sqlite.ts';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, usageError, writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { loadDeviceState } from './device-state.ts';
import { formatFields, formatTable } from './layout.ts';

export const DEVICE_STATUS_USAGE = `  holdfast device status --state DIR [--json]
`;

export const DEVICE_STATUS_HELP = `status     The device id, the server and user it syncs with, the items in each
             collection (with its display name), the outbox (local changes the server has not acknowledged),
             revisions the server refused (kept here), and where the last sync left
             off: the server's store id, generation and sequence. Works offline.
`;

const OPTIONS = { ...HELP_OPTION, state: { type: 'string' }, json: { type: 'boolean' } } as const;

const EMPTY: SqliteReplicaSummary = { collections: [], revisions: 0, outbox: 0, refused: 0, cursor: undefined };

export async function deviceStatus(args: string[], io: CliIo, usage: string): Promise<number> {
  const parsed = parseCommandArgs(io, usage, [], () => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
  if (parsed.kind === 'exit') return parsed.code;
  if (parsed.values.state === undefined) return usageError(io, 'device status needs --state', usage);
  const loaded = await loadDeviceState(parsed.values.state);
  if (loaded.kind === 'invalid') return failure(io, loaded.message);
  if (loaded.kind === 'absent') return failure(io, `${loaded.dir} is not a device state directory (no device.json); 'holdfast device sync' makes one`);
  const summary = existsSync(loaded.replicaFile) ? summarizeSqliteReplica(loaded.replicaFile) : EMPTY;
  const { device } = loaded;
  const lastSync = summary.cursor ? { storeId: summary.cursor.storeId, generation: summary.cursor.generation, sequence: summary.cursor.sequence } : null;

  if (parsed.values.json === true) {
    const status = {
      state: loaded.dir,
      deviceId: device.deviceId,
      server: device.serverUrl,
      user: device.user,
      collections: summary.collections,
      items: summary.collections.reduce((sum, c) => sum + c.live, 0),
      revisions: summary.revisions,
      outbox: summary.outbox,
      refused: summary.refused,
      lastSync,
    };
    writeLine(io.stdout, JSON.stringify(status, null, 2));
    return EXIT.ok;
  }
  io.stdout.write(
    formatFields([
      ['state', loaded.dir],
      ['device id', device.deviceId],
      ['server', device.serverUrl],
      ['user', device.user],
      ['revisions', String(summary.revisions)],
      ['outbox', `${summary.outbox} waiting for the server`],
      ['refused', `${summary.refused}${summary.refused > 0 ? ' (kept on this device; the sync that refused them said why)' : ''}`],
      ['last sync', lastSync ? `store ${lastSync.storeId}, generation ${lastSync.generation}, sequence ${lastSync.sequence}` : 'never'],
    ]),
  );
  if (summary.collections.length > 0) {
    writeLine(io.stdout);
    io.stdout.write(
      formatTable(
        ['COLLECTION', 'NAME', 'KIND', 'ITEMS', 'DELETED'],
        summary.collections.map((c) => [c.path + (c.inTrash ? ' (deleted)' : ''), c.displayName ?? '', c.kind, String(c.live), String(c.deleted)]),
      ),
    );
  }
  return EXIT.ok;
}
