// Continuous backup: one shipper per target, each in its own loop, woken by every commit
// (and by a timer, in case a commit happened in another process such as the CLI). A slow
// or unreachable target backs off and retries without holding back the others or the
// server. Stopping runs one last pass, so a clean shutdown leaves nothing unshipped.
import type { Store } from '../store/store.ts';
import type { BackupSource } from './sqlite-source.ts';
import type { PassResult } from './ship.ts';
import { TargetShipper } from './ship.ts';
import type { BackupTarget } from './target.ts';
import type { RetentionSchedule } from './retention-schedule.ts';
import { retentionAfterPass } from './retention-schedule.ts';

export interface FollowerLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface TargetLag {
  target: string;
  /** Highest sequence number on the target; null before the first pass finished. */
  shippedSeq: number | null;
  /** Changes the store has that the target does not. */
  behindChanges: number;
  /** Age of the oldest change the target does not have yet (0 when caught up). */
  behindSeconds: number;
  lastError: string | null;
  lastPassAt: string | null;
}

export interface BackupFollower {
  /** Something was committed: ship it soon. */
  notify: () => void;
  lag: () => Promise<TargetLag[]>;
  /** Resolves after every target has had a pass that started after this call. */
  flush(): Promise<void>;
  /** True once every target holds every change up to `seq`; false if one does not
   * within `timeoutMs`. */
  waitForShipped(seq: number, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

export interface FollowerOptions {
  store: Store;
  source: BackupSource;
  targets: BackupTarget[];
  log: FollowerLog;
  snapshotEveryChanges?: number;
  passphrase?: string | undefined;
  /** Poll this often even without a notification (commits by other processes). */
  pollMs?: number;
  /** Apply this retention policy to each target between passes (retention-schedule.ts). */
  retention?: RetentionSchedule | undefined;
  /** The clock snapshots are stamped with (tests simulate days with it). */
  now?: () => Date;
}

const MAX_BACKOFF_MS = 30_000;

export function startBackupFollower(options: FollowerOptions): BackupFollower {
  const { store, source, log } = options;
  const pollMs = options.pollMs ?? 1000;
  let stopping = false;
  const loops = options.targets.map((target) => {
    const shipper = new TargetShipper(target, { store, source, passphrase: options.passphrase, ...(options.now === undefined ? {} : { now: options.now }), ...(options.snapshotEveryChanges === undefined ? {} : { snapshotEveryChanges: options.snapshotEveryChanges }) });
    const state = {
      shipper,
      lastError: null as string | null,
      lastPassAt: null as string | null,
      wake: null as (() => void) | null,
      pending: true,
      /** Callers of flush() waiting for the next completed pass. */
      waiters: [] as Array<() => void>,
      /** Callers of waitForShipped() waiting for this target to reach a sequence number. */
      seqWaiters: [] as Array<{ seq: number; resolve: () => void }>,
      done: Promise.resolve(),
      prune: options.retention === undefined ? null : retentionAfterPass(target, shipper, options.retention, log),
    };
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          state.wake = null;
          resolve();
        }, ms);
        state.wake = () => {
          clearTimeout(timer);
          state.wake = null;
          resolve();
        };
      });
    state.done = (async () => {
      let backoff = 0;
      for (;;) {
        const final = stopping;
        state.pending = false;
        const waiting = state.waiters.splice(0);
        try {
          const result: PassResult = await shipper.pass();
          state.lastError = null;
          state.lastPassAt = new Date().toISOString();
          backoff = 0;
          if (result.segments > 0 || result.snapshots > 0) {
            log.info({ target: target.description, ...result }, `backup: shipped ${result.changes} change(s) to ${target.description}, up to sequence ${result.shippedSeq}`);
          }
          if (state.prune !== null && !final) await state.prune(result);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          if (state.lastError !== message) log.error({ target: target.description, err: message }, `backup to ${target.description} failed; retrying: ${message}`);
          state.lastError = message;
          backoff = Math.min(MAX_BACKOFF_MS, Math.max(1000, backoff * 2));
        }
        for (const resolve of waiting) resolve();
        const shippedSeq = shipper.shippedSeq ?? -1;
        state.seqWaiters = state.seqWaiters.filter((waiter) => {
          if (waiter.seq > shippedSeq) return true;
          waiter.resolve();
          return false;
        });
        if (final) return;
        if (!state.pending || backoff > 0) await sleep(backoff > 0 ? backoff : pollMs);
      }
    })();
    return { target, state };
  });

  const wakeAll = () => {
    for (const { state } of loops) {
      state.pending = true;
      state.wake?.();
    }
  };

  return {
    notify: wakeAll,
    async flush() {
      await Promise.all(loops.map(({ state }) => new Promise<void>((resolve) => {
        state.waiters.push(resolve);
        state.pending = true;
        state.wake?.();
      })));
    },
    async waitForShipped(seq, timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const shipped = Promise.all(
        loops.map(({ state }) => {
          if ((state.shipper.shippedSeq ?? -1) >= seq) return Promise.resolve();
          return new Promise<void>((resolve) => {
            state.seqWaiters.push({ seq, resolve });
            state.pending = true;
            state.wake?.();
          });
        }),
      ).then(() => true as const);
      try {
        return await Promise.race([shipped, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
    async lag() {
      const identity = await store.identity();
      return loops.map(({ target, state }): TargetLag => {
        const shipped = state.shipper.shippedSeq;
        const behind = shipped === null ? identity.sequence : Math.max(0, identity.sequence - shipped);
        let behindSeconds = 0;
        if (behind > 0) {
          const oldest = source.firstChangeAfter(shipped ?? 0);
          if (oldest !== null) behindSeconds = Math.max(0, (Date.now() - Date.parse(oldest)) / 1000);
        }
        return { target: target.description, shippedSeq: shipped, behindChanges: behind, behindSeconds, lastError: state.lastError, lastPassAt: state.lastPassAt };
      });
    },
    async stop() {
      stopping = true;
      wakeAll();
      await Promise.all(loops.map(({ state }) => state.done));
      for (const { target } of loops) await target.close();
      source.close();
    },
  };
}
