// Runs the restore drill inside the server on a schedule: the first one an interval after
// the last recorded drill (or soon after start if none ever ran), then every interval. A
// failed drill is loud: an error log naming every problem, and /metrics shows it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/store.ts';
import { readDrillRecord, runDrill } from './drill.ts';
import { PASSPHRASE_ENV } from './encryption.ts';
import { openConfiguredTargets } from './start-backup.ts';

export interface DrillLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface DrillSchedule {
  stop(): Promise<void>;
}

/** When no drill has ever run, the first waits at most this long after start. */
const FIRST_DRILL_AT_MOST_MS = 10 * 60_000;

export function startDrillSchedule(options: {
  dataDir: string;
  store: Store;
  backupTargets: string;
  intervalSeconds: number;
  env: Record<string, string | undefined>;
  log: DrillLog;
}): DrillSchedule {
  const controller = new AbortController();
  const { signal } = controller;
  const intervalMs = options.intervalSeconds * 1000;
  const loop = async (): Promise<void> => {
    while (!signal.aborted) {
      const last = await readDrillRecord(options.dataDir);
      const dueAt = last === null ? Date.now() + Math.min(intervalMs, FIRST_DRILL_AT_MOST_MS) : Date.parse(last.finishedAt) + intervalMs;
      const wait = Math.max(0, dueAt - Date.now());
      if (wait > 0) await sleep(Math.min(wait, 2 ** 31 - 1), undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      if (last !== null && Date.now() < dueAt) continue;
      try {
        const targets = await openConfiguredTargets(options.backupTargets, options.env);
        try {
          const record = await runDrill({ dataDir: options.dataDir, store: options.store, targets, passphrase: options.env[PASSPHRASE_ENV] });
          for (const result of record.targets) {
            if (result.ok) {
              options.log.info(
                { drill: result },
                `restore drill of ${result.target} passed: restored to sequence ${result.restoredSeq ?? '?'} in ${result.recoveryTimeSeconds.toFixed(1)} s; recovery point ${result.recoveryPointSeconds === null ? 'unknown' : `${result.recoveryPointSeconds.toFixed(1)} s`}`,
              );
            } else {
              options.log.error(
                { drill: result },
                `RESTORE DRILL FAILED for ${result.target}: this backup may not restore. ${result.problems.length} problem(s): ${result.problems.join('; ')}. Run 'holdfast backup verify --target ${result.target}' for details.`,
              );
            }
          }
        } finally {
          for (const target of targets) await target.close();
        }
      } catch (error) {
        options.log.error({ err: error }, `RESTORE DRILL FAILED to run: ${error instanceof Error ? error.message : String(error)}`);
        // Do not retry in a tight loop: wait an interval (the record is unchanged).
        await sleep(Math.min(intervalMs, 2 ** 31 - 1), undefined, { signal }).catch(() => undefined);
      }
    }
  };
  const running = loop();
  return {
    async stop() {
      controller.abort();
      await running;
    },
  };
}
