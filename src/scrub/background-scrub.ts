// The scrub as a service inside `holdfast serve`: one pass at a gentle byte rate, then a
// rest until the next is due, resuming a pass a restart cut short. It never stops the
// server: a failed pass is logged and tried again after a while.
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobEngine } from '../store/blobs/blob-engine.ts';
import type { Store } from '../store/store.ts';
import { readCheckpoint } from './checkpoint.ts';
import { metadataRestoreAdvice } from './check-metadata.ts';
import type { RepairSource } from './repair-source.ts';
import { runScrubPass } from './scrub-pass.ts';
import type { ScrubStatus } from './scrub-status.ts';

export interface ScrubLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface BackgroundScrubOptions {
  dataDir: string;
  store: Store;
  blobs: BlobEngine;
  repair: RepairSource | null;
  bytesPerSecond: number;
  /** Hours from the start of one pass to the start of the next. */
  intervalHours: number;
  status: ScrubStatus;
  log: ScrubLog;
  /** How long after start the first pass begins, so start-up is not slowed (default 60 s). */
  firstDelayMs?: number;
}

export interface BackgroundScrub {
  stop(): Promise<void>;
}

const RETRY_AFTER_FAILURE_MS = 10 * 60_000;

export function startBackgroundScrub(options: BackgroundScrubOptions): BackgroundScrub {
  const controller = new AbortController();
  const { signal } = controller;
  const { log, status } = options;

  const loop = async (): Promise<void> => {
    await sleep(options.firstDelayMs ?? 60_000, undefined, { signal }).catch(() => undefined);
    while (!signal.aborted) {
      const checkpoint = await readCheckpoint(options.dataDir);
      // A pass under way resumes at once; otherwise the next is due an interval after the last began.
      const dueAt = checkpoint.current === null && checkpoint.last !== null ? Date.parse(checkpoint.last.startedAt) + options.intervalHours * 3_600_000 : Date.now();
      const wait = Math.max(0, dueAt - Date.now());
      if (wait > 0) {
        await sleep(Math.min(wait, 2 ** 31 - 1), undefined, { signal }).catch(() => undefined);
        continue;
      }
      // The pass reports totals since it began (a resumed pass included); the status counts deltas.
      let bytesSoFar = checkpoint.current?.bytesChecked ?? 0;
      try {
        const report = await runScrubPass({
          dataDir: options.dataDir,
          blobs: options.blobs,
          store: options.store,
          repair: options.repair,
          bytesPerSecond: options.bytesPerSecond,
          useCheckpoint: true,
          signal,
          onProgress: (progress) => {
            status.blobsChecked += 1;
            status.bytesChecked += progress.bytesChecked - bytesSoFar;
            bytesSoFar = progress.bytesChecked;
          },
          onProblem: (problem) => {
            status.problem(problem);
            if (problem.kind === 'metadata-corrupt') {
              log.error({ problem }, `scrub: ${problem.detail}\n${metadataRestoreAdvice(options.dataDir, options.repair?.descriptions ?? [])}`);
            } else if (problem.repaired) {
              log.warn({ problem }, `scrub: ${problem.detail}; repaired from ${problem.repairedFrom ?? '?'}, the bad copy moved to ${problem.quarantinedTo ?? '(none: it was missing)'}`);
            } else {
              log.error({ problem }, `scrub: ${problem.detail}; NOT repaired: ${problem.unrepairedReason ?? 'unknown'}`);
            }
          },
        });
        status.passEnded(report);
        if (report.complete) {
          log.info(
            { blobsChecked: report.blobsChecked, bytesChecked: report.bytesChecked, problems: report.problems.length },
            `scrub pass finished: ${report.blobsChecked} blob(s) checked, ${report.problems.length} problem(s), ${report.problems.filter((p) => !p.repaired).length} unrepaired`,
          );
        }
      } catch (error) {
        log.error({ err: error }, `scrub pass failed: ${error instanceof Error ? error.message : String(error)}; trying again in 10 minutes`);
        await sleep(RETRY_AFTER_FAILURE_MS, undefined, { signal }).catch(() => undefined);
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
