// `holdfast device sync --watch`: live sync (client/live-sync.ts: the server's event stream,
// a sync after every change, backoff when the server is away) until SIGINT or SIGTERM.
// One line per change of status, and one per sync that moved something.
import { startLiveSync } from '../../client/live-sync.ts';
import type { LiveStatus } from '../../client/live-sync.ts';
import type { SyncAuth, SyncClient, SyncReport } from '../../client/sync-client.ts';
import { waitForShutdownSignal } from '../server/shutdown.ts';
import { EXIT, failure, writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { syncReportJson } from './device-report.ts';
import type { SyncedDevice } from './device-report.ts';

export interface WatchOptions {
  io: CliIo;
  client: SyncClient;
  device: SyncedDevice;
  auth: SyncAuth;
  /** A full sync at least this often, events or not. */
  pollIntervalMs: number;
  json: boolean;
}

export async function watchSync(options: WatchOptions): Promise<number> {
  const { io, client, device, json } = options;
  const shutdown = waitForShutdownSignal((message) => writeLine(io.stderr, `holdfast: ${message}`));
  const print = (record: Record<string, unknown>, text: string) => {
    const at = new Date().toISOString();
    writeLine(io.stdout, json ? JSON.stringify({ at, ...record }) : `${at} ${text}`);
  };

  let pausedSaid = false;
  const stopSynced = client.on('synced', (detail) => {
    const report = detail as SyncReport;
    pausedSaid = false;
    if (moved(report)) print({ event: 'synced', ...syncReportJson(device, report) }, `synced: ${summary(report)}`);
  });
  const stopPaused = client.on('paused', (detail) => {
    const paused = detail as NonNullable<SyncReport['paused']>;
    if (pausedSaid) return;
    pausedSaid = true;
    print(
      { event: 'paused', ...paused },
      `PAUSED: the server's changes would delete ${paused.deletes} and overwrite ${paused.overwrites} items on this device; none were applied. ` +
        `If that is meant, stop this and run 'holdfast device sync' once with --confirm-mass-change.`,
    );
  });

  // The credentials refused: live sync stops by itself, and so does the command (exit 1).
  let halted: (message: string) => void = () => undefined;
  const haltedBy = new Promise<string>((resolve) => {
    halted = resolve;
  });
  let stopping = false;
  let last = { state: '', lastError: null as string | null };
  const live = startLiveSync(client, { serverUrl: device.server, auth: options.auth, pollIntervalMs: options.pollIntervalMs });
  const stopStatus = live.on('status', (status: LiveStatus) => {
    // 'syncing' comes and goes with every sync; the sync's own line says what it did.
    if (status.state === 'syncing') return;
    if (status.state === last.state && status.lastError === last.lastError) return;
    last = { state: status.state, lastError: status.lastError };
    if (status.state === 'paused') return; // said by the 'paused' line
    print({ event: 'status', ...status }, describeStatus(status));
    if (status.state === 'stopped' && !stopping) halted(status.lastError ?? 'live sync stopped');
  });

  if (!json) writeLine(io.stderr, `holdfast: syncing ${device.user}'s replica live with ${device.server}; Ctrl-C stops`);
  try {
    const outcome = await Promise.race([shutdown.signal.then((signal) => ({ signal })), haltedBy.then((message) => ({ message }))]);
    stopping = true;
    await live.stop();
    if ('message' in outcome) return failure(io, outcome.message);
    writeLine(io.stderr, `holdfast: received ${outcome.signal}; stopped`);
    return EXIT.ok;
  } finally {
    stopStatus();
    stopSynced();
    stopPaused();
    shutdown.dispose();
  }
}

function describeStatus(status: LiveStatus): string {
  const pending = status.pending > 0 ? ` (${status.pending} local changes waiting)` : '';
  switch (status.state) {
    case 'offline':
      return `offline: ${status.lastError ?? 'no connection'}${status.nextRetryAt ? `; trying again at ${status.nextRetryAt}` : ''}${pending}`;
    case 'stopped':
      return `stopped${status.lastError ? `: ${status.lastError}` : ''}`;
    case 'connected':
      return `connected: following the server's changes${pending}`;
    case 'idle':
      return `up to date${pending}`;
    default:
      return `${status.state}${pending}`;
  }
}

function moved(report: SyncReport): boolean {
  return report.pushed > 0 || report.pulled > 0 || report.healed || report.conflicts.length > 0 || report.refused.length > 0;
}

function summary(report: SyncReport): string {
  const parts = [`pushed ${report.pushed}`, `pulled ${report.pulled}`];
  if (report.healed) parts.push(`healed the server (pushed back ${report.healPushed} revisions it lacked)`);
  if (report.conflicts.length > 0) parts.push(`${report.conflicts.length} conflicts (kept in the items' history)`);
  if (report.refused.length > 0) parts.push(`${report.refused.length} refused (kept on this device)`);
  return parts.join(', ');
}
