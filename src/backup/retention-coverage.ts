// What a generation can really be restored to once retention has removed some of it: from
// each snapshot, every point up to where its chain of segments first breaks. Sequence
// numbers of one generation have no holes (the change log's AUTOINCREMENT only moves in
// committed transactions, and each segment holds every change in its range), so a segment
// that starts more than one past the reach leaves a gap: the changes in it were pruned.
import type { GenerationCatalog } from './catalog.ts';
import type { SnapshotManifest } from './format.ts';

/** The highest sequence number reachable from `fromSeq` through consecutive segments. */
export function contiguousReach(generation: GenerationCatalog, fromSeq: number): number {
  let reach = fromSeq;
  for (const segment of generation.segments) {
    if (segment.lastSeq <= reach) continue;
    if (segment.firstSeq > reach + 1) break; // sorted by first sequence: the chain is broken here
    reach = segment.lastSeq;
  }
  return reach;
}

export interface RestorableSpan {
  generation: number;
  /** Every point from this snapshot's sequence number to `toSeq` restores exactly. */
  fromSeq: number;
  toSeq: number;
  fromTime: string;
  /** When the last change in the span was made (the snapshot's time if it has none). */
  toTime: string;
  snapshots: number;
}

/** The spans of consecutive restorable points, oldest first. */
export function restorableSpans(generation: GenerationCatalog): RestorableSpan[] {
  const spans: RestorableSpan[] = [];
  for (const snapshot of generation.snapshots) {
    const last = spans.at(-1);
    if (last !== undefined && snapshot.seq <= last.toSeq) {
      // Inside the previous span: it may carry the span further.
      last.snapshots += 1;
      const reach = contiguousReach(generation, snapshot.seq);
      if (reach > last.toSeq) {
        last.toSeq = reach;
        last.toTime = lastTimeUpTo(generation, snapshot, reach);
      }
      continue;
    }
    const reach = contiguousReach(generation, snapshot.seq);
    spans.push({ generation: generation.generation, fromSeq: snapshot.seq, toSeq: reach, fromTime: snapshot.takenAt, toTime: lastTimeUpTo(generation, snapshot, reach), snapshots: 1 });
  }
  return spans;
}

function lastTimeUpTo(generation: GenerationCatalog, snapshot: SnapshotManifest, reach: number): string {
  let latest = snapshot.takenAt;
  for (const segment of generation.segments) {
    if (segment.lastSeq > snapshot.seq && segment.lastSeq <= reach && segment.lastAt !== null && segment.lastAt > latest) latest = segment.lastAt;
  }
  return latest;
}
