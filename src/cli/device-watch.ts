// `holdfast device sync --watch`: syncs every --interval seconds until SIGINT or SIGTERM,
// printing one line each time the status changes (and every sync that moved something).
import type { SyncAuth, SyncClient, SyncReport } from '../../client/sync-client.ts';
import { waitForShutdownSignal } from '../server/shutdown.ts';
import { EXIT, writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { describeSyncFailure, syncReportJson } from './device-report.ts';
import type { SyncedDevice } from './device-report.ts';

export interface WatchOptions {
  io: CliIo;
  client: SyncClient;
  device: SyncedDevice;
  auth: SyncAuth;
  intervalMs: number;
  json: boolean;
  replicaFile: string;
}

export async function watchSync(options: WatchOptions): Promise<number> {
  const { io, client, device, json } = options;
  const shutdown = waitForShutdownSignal((message) => writeLine(io.stderr, `holdfast: ${message}`));
  let last = '';
  const print = (status: string, detail: Record<string, unknown>, text: string) => {
    if (status === last && status !== 'synced') return;
    last = status;
    const at = new Date().toISOString();
    writeLine(io.stdout, json ? JSON.stringify({ at, status, ...detail }) : `${at} ${text}`);
  };
  if (!json) writeLine(io.stderr, `holdfast: watching ${device.server} for ${device.user} every ${options.intervalMs / 1000} s; Ctrl-C stops`);
  try {
    for (;;) {
      try {
        const report = await client.syncOnce();
        if (report.paused) {
          print('paused', syncReportJson(device, report), `paused: the server's changes would delete ${report.paused.deletes} and overwrite ${report.paused.overwrites} items; stop and run 'holdfast device sync' with --confirm-mass-change if that is meant`);
        } else if (moved(report) || last !== 'synced') {
          print('synced', syncReportJson(device, report), `synced: ${summary(report)}`);
        }
      } catch (error) {
        const message = describeSyncFailure(error, device) ?? (error instanceof Error ? error.message : String(error));
        print('error', { message }, `error: ${message}`);
      }
      let timer: NodeJS.Timeout | undefined;
      const pause = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.intervalMs);
      });
      const stop = await Promise.race([shutdown.signal, pause]);
      clearTimeout(timer);
      if (stop !== 'timeout') {
        writeLine(io.stderr, `holdfast: received ${stop}; stopped`);
        return EXIT.ok;
      }
    }
  } finally {
    shutdown.dispose();
  }
}

function moved(report: SyncReport): boolean {
  return report.pushed > 0 || report.pulled > 0 || report.healed || report.conflicts.length > 0 || report.refused.length > 0;
}

function summary(report: SyncReport): string {
  const parts = [`pushed ${report.pushed}`, `pulled ${report.pulled}`];
  if (report.healed) parts.push(`healed the server (pushed back ${report.healPushed})`);
  if (report.conflicts.length > 0) parts.push(`${report.conflicts.length} conflicts`);
  if (report.refused.length > 0) parts.push(`${report.refused.length} refused`);
  return parts.join(', ');
}
