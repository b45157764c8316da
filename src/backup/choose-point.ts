// Which generation, snapshot and segments rebuild the store at a requested point.
import type { Catalog, GenerationCatalog } from './catalog.ts';
import type { SegmentManifest, SnapshotManifest } from './format.ts';
import { contiguousReach, restorableSpans } from './retention-coverage.ts';

export type RestorePoint = { kind: 'latest' } | { kind: 'seq'; seq: number } | { kind: 'time'; at: Date };

export interface RestorePlan {
  generation: GenerationCatalog;
  snapshot: SnapshotManifest;
  /** Segments that may hold records after the snapshot and up to the point. */
  segments: SegmentManifest[];
  /** Replay records up to this sequence number (the latest point: everything). */
  untilSeq: number;
  /** In time mode, also only records made at or before this moment. */
  untilTime: string | null;
}

export type PlanResult = { kind: 'planned'; plan: RestorePlan } | { kind: 'not-covered'; reason: string };

export function describePoint(point: RestorePoint): string {
  if (point.kind === 'latest') return 'the latest point';
  return point.kind === 'seq' ? `sequence ${point.seq}` : point.at.toISOString();
}

export function planRestore(catalog: Catalog, point: RestorePoint): PlanResult {
  const usable = catalog.generations.filter((g) => g.snapshots.length > 0);
  if (usable.length === 0) return { kind: 'not-covered', reason: 'the target holds no snapshot yet, so nothing can be restored from it' };
  const newestFirst = [...usable].reverse();
  let generation: GenerationCatalog | undefined;
  let snapshot: SnapshotManifest | undefined;
  let untilSeq: number;
  let untilTime: string | null = null;
  switch (point.kind) {
    case 'latest':
      generation = newestFirst[0];
      snapshot = generation?.snapshots.at(-1);
      untilSeq = generation?.lastSeq ?? 0;
      break;
    case 'seq':
      // Sequence numbers restart from a restored point in each new generation; the newest
      // generation that covers the number is the one a person means.
      generation = newestFirst.find((g) => (g.snapshots[0]?.seq ?? Infinity) <= point.seq && point.seq <= g.lastSeq);
      snapshot = generation?.snapshots.filter((s) => s.seq <= point.seq).at(-1);
      untilSeq = point.seq;
      break;
    case 'time': {
      untilTime = point.at.toISOString();
      const at = untilTime;
      generation = newestFirst.find((g) => (g.snapshots[0]?.takenAt ?? '\uffff') <= at);
      snapshot = generation?.snapshots.filter((s) => s.takenAt <= at).at(-1);
      untilSeq = generation?.lastSeq ?? 0;
      break;
    }
  }
  if (generation === undefined || snapshot === undefined) {
    const ranges = usable
      .map((g) => `generation ${g.generation}: sequence ${g.snapshots[0]?.seq ?? 0} to ${g.lastSeq}, from ${g.snapshots[0]?.takenAt ?? '?'}`)
      .join('; ');
    return { kind: 'not-covered', reason: `the target does not cover ${describePoint(point)} (${ranges})` };
  }
  const base = snapshot.seq;
  // Retention may have removed segments: a point past a gap cannot be rebuilt, and is
  // refused rather than restored as some earlier state.
  const reach = contiguousReach(generation, base);
  if (reach < untilSeq) {
    const at = untilTime;
    // A time before the gap is still exact if a change after it (and before the gap) is
    // on the target: replay stops at that change and never reaches the gap.
    const stopsBeforeGap = at !== null && generation.segments.some((s) => s.lastSeq > base && s.lastSeq <= reach && s.lastAt !== null && s.lastAt > at);
    if (!stopsBeforeGap) {
      const spans = catalog.generations
        .flatMap(restorableSpans)
        .map((s) => `generation ${s.generation}: sequence ${s.fromSeq} to ${s.toSeq} (${s.fromTime} to ${s.toTime})`)
        .join('; ');
      return { kind: 'not-covered', reason: `the target no longer covers ${describePoint(point)}: changes after sequence ${reach} of generation ${generation.generation} were pruned by retention (restorable: ${spans})` };
    }
    untilSeq = reach;
  }
  // A segment's records lie in firstSeq..lastSeq (an accounts-only one sits at lastSeq).
  const segments = generation.segments.filter((s) => s.lastSeq >= base && s.firstSeq <= untilSeq);
  return { kind: 'planned', plan: { generation, snapshot, segments, untilSeq, untilTime } };
}
