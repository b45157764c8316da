// When the server applies retention: after the first pass, after every pass that wrote a
// snapshot (a new snapshot is what lets older ones go), and at least once a day. It runs
// in the target's own backup loop, between passes, so nothing the shipper is writing can
// be removed; blobs it removes are forgotten by the shipper, which ships them again if a
// later change needs them.
import type { PassResult, TargetShipper } from './ship.ts';
import type { RetentionPolicy } from './retention.ts';
import { pruneBackup } from './retention-prune.ts';
import type { BackupTarget } from './target.ts';

export const PRUNE_EVERY_MS = 24 * 60 * 60 * 1000;

export interface RetentionSchedule {
  policy: RetentionPolicy;
  passphrase?: string | undefined;
  /** The clock retention measures ages with (tests move it). */
  now?: () => Date;
}

export interface RetentionLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Returns a function to call after each successful pass. */
export function retentionAfterPass(target: BackupTarget, shipper: TargetShipper, schedule: RetentionSchedule, log: RetentionLog): (result: PassResult) => Promise<void> {
  let lastPrunedAt: number | null = null;
  return async (result) => {
    const now = schedule.now?.() ?? new Date();
    if (lastPrunedAt !== null && result.snapshots === 0 && now.getTime() - lastPrunedAt < PRUNE_EVERY_MS) return;
    lastPrunedAt = now.getTime();
    try {
      const outcome = await pruneBackup(target, { policy: schedule.policy, now, passphrase: schedule.passphrase });
      if (outcome.kind === 'refused') {
        log.error({ target: target.description, reason: outcome.reason }, `backup retention on ${target.description} refused: ${outcome.reason}`);
        return;
      }
      if (outcome.kind !== 'pruned') return;
      const { removed, removedBlobHashes, restorable } = outcome.report;
      shipper.forgetBlobs(removedBlobHashes);
      const count = removed.snapshots.length + removed.segments.length + removed.leftovers.length + removed.blobs.length;
      if (count > 0) {
        log.info(
          { target: target.description, snapshots: removed.snapshots.length, segments: removed.segments.length, leftovers: removed.leftovers.length, blobs: removed.blobs.length, bytes: removed.bytes, oldest: restorable[0] ?? null },
          `backup retention removed ${removed.snapshots.length} snapshot(s), ${removed.segments.length} segment(s) and ${removed.blobs.length} blob(s) from ${target.description}`,
        );
      }
    } catch (error) {
      // A failed prune only leaves more on the target than the policy needs.
      const message = error instanceof Error ? error.message : String(error);
      log.error({ target: target.description, err: message }, `backup retention on ${target.description} failed (nothing kept is affected; it retries after the next snapshot): ${message}`);
    }
  };
}
