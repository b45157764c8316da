// How `holdfast device sync` tells a person (or a script, with --json) what a sync did,
// and what went wrong in words that say what to do.
import type { SyncReport } from '../../client/sync-client.ts';
import { SyncError } from '../../client/sync-client.ts';

export interface SyncedDevice {
  deviceId: string;
  server: string;
  user: string;
  stateDir: string;
}

export function syncReportJson(device: SyncedDevice, report: SyncReport): Record<string, unknown> {
  return {
    result: report.paused ? 'paused' : 'synced',
    deviceId: device.deviceId,
    server: device.server,
    user: device.user,
    state: device.stateDir,
    pushed: report.pushed,
    pulled: report.pulled,
    healed: report.healed,
    healPushed: report.healPushed,
    healConflicts: report.healConflicts,
    conflicts: report.conflicts,
    collections: report.collections,
    refused: report.refused,
    ...(report.paused ? { paused: report.paused } : {}),
  };
}

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** The lines of a human summary, each without its newline. */
export function syncReportLines(device: SyncedDevice, report: SyncReport, liveItems: number): string[] {
  const lines = [`Synced ${device.user}'s replica in ${device.stateDir} with ${device.server} (device ${device.deviceId}):`];
  lines.push(`  pushed ${plural(report.pushed, 'revision')}, pulled ${plural(report.pulled, 'revision')}`);
  if (report.healed) {
    lines.push(
      `  healed: the server had forgotten (it is another store, was restored, or lost its latest changes); pushed back ${plural(report.healPushed, 'revision')} it lacked` +
        (report.healConflicts > 0 ? ` and marked ${plural(report.healConflicts, 'open conflict')} again` : ''),
    );
  }
  if (report.conflicts.length > 0) {
    lines.push(`  ${plural(report.conflicts.length, 'conflict')} (nothing lost: the losing side is kept in the item's history):`);
    for (const conflict of report.conflicts) {
      const fields = conflict.fields.length > 0 ? ` in ${conflict.fields.join(', ')}` : '';
      const winner = conflict.winner === 'pushed' ? "this device's edit won" : "the server's side won";
      lines.push(`    ${conflict.collectionPath}/${conflict.item}${fields}: ${winner}`);
    }
  }
  if (report.collections.refused.length > 0) {
    lines.push(`  ${plural(report.collections.refused.length, 'collection change')} refused by the server:`);
    for (const refusal of report.collections.refused) lines.push(`    ${refusal.path}: ${refusal.reason}: ${refusal.message}`);
  }
  if (report.refused.length > 0) {
    lines.push(`  ${plural(report.refused.length, 'revision')} refused by the server (kept on this device):`);
    for (const refusal of report.refused) {
      lines.push(`    ${refusal.collectionPath}/${refusal.item}: ${refusal.reason}${refusal.message ? `: ${refusal.message}` : ''}`);
    }
  }
  if (report.paused) {
    const { deletes, overwrites } = report.paused;
    lines.push(
      `  PAUSED: the server's changes would delete ${plural(deletes, 'item')} and overwrite ${overwrites} of the ${liveItems} on this device, so none were applied.`,
      '  Check that this is meant (on the server or another device); if it is, run the same command again with --confirm-mass-change.',
    );
  }
  return lines;
}

/** A failed sync in words that say what to do; null for an error that is not the network's or the server's (a bug). */
export function describeSyncFailure(error: unknown, device: { server: string; user: string }): string | null {
  const kept = 'Nothing on this device was lost; local changes wait for the next sync.';
  if (error instanceof SyncError) {
    if (error.status === 401) {
      return `the server at ${device.server} refused user "${device.user}" with that password (HTTP 401); check --user and the password (an app password made for this device is best). ${kept}`;
    }
    if (error.status === 429) return `the server is refusing sign-ins for a while after repeated failures (HTTP 429); wait a minute and try again. ${kept}`;
    if (error.status === 404) return `${device.server} does not answer the sync API (HTTP 404); check --server: it is the server's base URL, such as https://cloud.example.org. ${kept}`;
    return `${error.message}. ${kept}`;
  }
  if (error instanceof TypeError && error.message === 'fetch failed') {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? 'no answer';
    return `cannot reach the server at ${device.server} (${why}); check --server and that the server is running. ${kept}`;
  }
  return null;
}
