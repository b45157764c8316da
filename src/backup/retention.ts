// Retention: which snapshots and segments a target keeps, and so which points in time it
// promises to restore. Pure: it reads a catalogue and a clock, and says what to keep.
//
// The promise, for a policy { keepAllDays, keepDailyDays, keepMonthlyMonths }:
//   - every point from keepAllDays ago to the newest change (in each generation that a
//     time in that window resolves to): the newest snapshot taken at or before the start
//     of the window (the anchor) and every snapshot and segment after it are kept;
//   - for each of the last keepDailyDays days (UTC), the day's newest snapshot, and for
//     each of the last keepMonthlyMonths months, the month's newest snapshot: each one is
//     kept with the segments a restore of exactly its sequence number reads.
//   - a generation that keeps anything keeps its end (last snapshot onward) and, when an
//     older generation keeps anything too, its first snapshot, so that restore resolves
//     every time and sequence number to the same generation as before the prune.
// Everything else may go. Removing objects only ever shrinks a generation's range, so the
// generation a kept point resolves to (choose-point.ts) never changes: a newer generation
// that did not cover the point before does not cover it after.
import type { Catalog, GenerationCatalog } from './catalog.ts';
import type { Manifest, SegmentManifest, SnapshotManifest } from './format.ts';

export interface RetentionPolicy {
  /** Every point in time of this many recent days stays restorable. */
  keepAllDays: number;
  /** Beyond that, the newest snapshot of each of this many recent days. */
  keepDailyDays: number;
  /** And the newest snapshot of each of this many recent months. */
  keepMonthlyMonths: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepAllDays: 30, keepDailyDays: 90, keepMonthlyMonths: 12 };

const DAY_MS = 24 * 60 * 60 * 1000;

/** Every point of a generation from `fromSeq` (a kept snapshot) to `toSeq`. */
export interface PromisedSpan {
  generation: number;
  fromSeq: number;
  toSeq: number;
  /** The anchor snapshot's time: every moment from here on (that resolves to this generation). */
  fromTime: string;
  /** False when a newer generation covers these sequence numbers too: `--seq` means the
   * newer one, so these points are reached by time (`--at`) only. */
  bySeq: boolean;
}

/** One snapshot's point, restorable with `--seq <seq>`. */
export interface PromisedSnapshot {
  generation: number;
  seq: number;
  takenAt: string;
  reasons: Array<'daily' | 'monthly' | 'generation start'>;
}

export interface RetentionChoice {
  /** The start of the keep-everything window. */
  windowFrom: string;
  spans: PromisedSpan[];
  snapshots: PromisedSnapshot[];
  /** Manifests kept, by their object key. */
  kept: Set<string>;
  /** Manifests that may go. */
  pruned: Manifest[];
}

export function chooseRetained(catalog: Catalog, policy: RetentionPolicy, now: Date): RetentionChoice {
  const windowFrom = new Date(now.getTime() - policy.keepAllDays * DAY_MS).toISOString();
  const kept = new Set<string>();
  const spans: PromisedSpan[] = [];
  const usable = catalog.generations.filter((g) => g.snapshots.length > 0);
  const newest = catalog.generations.at(-1);

  // The newest generation is the one being written: keep all of it until it has a
  // snapshot (the follower writes the snapshot first, so this is only a moment or a crash).
  if (newest !== undefined && newest.snapshots.length === 0) keepAll(newest, kept);

  usable.forEach((generation, index) => {
    const next = usable[index + 1];
    // A time at or after the next generation's first snapshot resolves to that one (or a
    // newer one), so this generation holds no time in the window.
    const first = next?.snapshots[0];
    if (first !== undefined && first.takenAt <= windowFrom) return;
    const anchor = generation.snapshots.filter((s) => s.takenAt <= windowFrom).at(-1) ?? generation.snapshots[0];
    if (anchor === undefined) return;
    for (const snapshot of generation.snapshots) if (snapshot.seq >= anchor.seq) kept.add(snapshot.object);
    for (const segment of generation.segments) if (segment.lastSeq >= anchor.seq) kept.add(segment.object);
    spans.push({ generation: generation.generation, fromSeq: anchor.seq, toSeq: generation.lastSeq, fromTime: anchor.takenAt, bySeq: !shadowed(usable, index, anchor.seq, generation.lastSeq) });
  });

  const snapshots = chooseSnapshots(usable, policy, now);
  for (const promised of snapshots) {
    const generation = usable.find((g) => g.generation === promised.generation);
    if (generation === undefined) continue;
    const snapshot = generation.snapshots.find((s) => s.seq === promised.seq && s.takenAt === promised.takenAt);
    if (snapshot !== undefined) kept.add(snapshot.object);
    // Exactly the segments a restore of this sequence number reads (choose-point.ts): an
    // accounts copy written at this sequence number belongs to the point.
    for (const segment of generation.segments) if (segment.firstSeq <= promised.seq && segment.lastSeq >= promised.seq) kept.add(segment.object);
  }

  // Restore finds a generation by its first snapshot (for a time) and by the range its
  // objects cover (for a sequence number). So that pruning never shifts a point to another
  // generation, a generation that keeps anything keeps its end (the last snapshot and what
  // follows it) and, when an older generation keeps anything, its first snapshot: a
  // pruned point in between is then refused (retention-coverage.ts), never answered with
  // another generation's state.
  const keeps = (g: GenerationCatalog) => [...g.snapshots, ...g.segments].some((m) => kept.has(m.object));
  const keptGenerations = usable.filter(keeps);
  keptGenerations.forEach((generation, index) => {
    const last = generation.snapshots.at(-1);
    if (last !== undefined && !spans.some((span) => span.generation === generation.generation && span.toSeq === generation.lastSeq)) {
      for (const snapshot of generation.snapshots) if (snapshot.seq >= last.seq) kept.add(snapshot.object);
      for (const segment of generation.segments) if (segment.lastSeq >= last.seq) kept.add(segment.object);
      const at = usable.indexOf(generation);
      spans.push({ generation: generation.generation, fromSeq: last.seq, toSeq: generation.lastSeq, fromTime: last.takenAt, bySeq: !shadowed(usable, at, last.seq, generation.lastSeq) });
    }
    const first = generation.snapshots[0];
    if (index > 0 && first !== undefined && !kept.has(first.object)) {
      kept.add(first.object);
      for (const segment of generation.segments) if (segment.firstSeq <= first.seq && segment.lastSeq >= first.seq) kept.add(segment.object);
      snapshots.push({ generation: generation.generation, seq: first.seq, takenAt: first.takenAt, reasons: ['generation start'] });
    }
  });
  spans.sort((a, b) => a.generation - b.generation || a.fromSeq - b.fromSeq);
  snapshots.sort((a, b) => (a.takenAt < b.takenAt ? -1 : a.takenAt > b.takenAt ? 1 : a.generation - b.generation));

  const pruned: Manifest[] = [];
  for (const generation of catalog.generations) {
    for (const manifest of [...generation.snapshots, ...generation.segments]) if (!kept.has(manifest.object)) pruned.push(manifest);
  }
  return { windowFrom, spans, snapshots, kept, pruned };
}

/** Whether a newer generation covers any of these sequence numbers. */
function shadowed(usable: GenerationCatalog[], index: number, fromSeq: number, toSeq: number): boolean {
  return usable.slice(index + 1).some((g) => (g.snapshots[0]?.seq ?? Infinity) <= toSeq && fromSeq <= g.lastSeq);
}

function keepAll(generation: GenerationCatalog, kept: Set<string>): void {
  for (const manifest of [...generation.snapshots, ...generation.segments]) kept.add(manifest.object);
}

/** The newest snapshot of each recent day and month, among those `--seq` can reach. */
function chooseSnapshots(usable: GenerationCatalog[], policy: RetentionPolicy, now: Date): PromisedSnapshot[] {
  // `--seq N` means the newest generation that covers N; a snapshot shadowed by a newer
  // generation cannot be asked for, so it is no candidate.
  const reachable = (generation: GenerationCatalog, snapshot: SnapshotManifest) => {
    const owner = [...usable].reverse().find((g) => (g.snapshots[0]?.seq ?? Infinity) <= snapshot.seq && snapshot.seq <= g.lastSeq);
    return owner === generation;
  };
  const candidates = usable.flatMap((generation) => generation.snapshots.filter((s) => reachable(generation, s)).map((snapshot) => ({ generation, snapshot })));
  const newestBy = (key: (takenAt: string) => string, from: string) => {
    const best = new Map<string, { generation: GenerationCatalog; snapshot: SnapshotManifest }>();
    for (const candidate of candidates) {
      const bucket = key(candidate.snapshot.takenAt);
      if (bucket < from) continue;
      const current = best.get(bucket);
      if (current === undefined || later(candidate, current)) best.set(bucket, candidate);
    }
    return [...best.values()];
  };
  const promised = new Map<string, PromisedSnapshot>();
  const add = (list: Array<{ generation: GenerationCatalog; snapshot: SnapshotManifest }>, reason: 'daily' | 'monthly') => {
    for (const { generation, snapshot } of list) {
      const id = snapshot.object;
      const entry = promised.get(id) ?? { generation: generation.generation, seq: snapshot.seq, takenAt: snapshot.takenAt, reasons: [] };
      entry.reasons.push(reason);
      promised.set(id, entry);
    }
  };
  if (policy.keepDailyDays > 0) {
    const firstDay = new Date(now.getTime() - (policy.keepDailyDays - 1) * DAY_MS).toISOString().slice(0, 10);
    add(newestBy((t) => t.slice(0, 10), firstDay), 'daily');
  }
  if (policy.keepMonthlyMonths > 0) {
    const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - (policy.keepMonthlyMonths - 1), 1)).toISOString().slice(0, 7);
    add(newestBy((t) => t.slice(0, 7), first), 'monthly');
  }
  return [...promised.values()].sort((a, b) => (a.takenAt < b.takenAt ? -1 : a.takenAt > b.takenAt ? 1 : a.generation - b.generation));
}

function later(a: { generation: GenerationCatalog; snapshot: SnapshotManifest }, b: { generation: GenerationCatalog; snapshot: SnapshotManifest }): boolean {
  if (a.snapshot.takenAt !== b.snapshot.takenAt) return a.snapshot.takenAt > b.snapshot.takenAt;
  if (a.generation.generation !== b.generation.generation) return a.generation.generation > b.generation.generation;
  return a.snapshot.seq > b.snapshot.seq;
}

/** The key of a manifest, from the object it describes (format.ts names both alike). */
export function manifestKeyOf(manifest: SnapshotManifest | SegmentManifest): string | null {
  const match = /^(g\d+)\/(snapshots|segments)\/([^/]+?)\.(sqlite\.gz|jsonl\.gz)$/.exec(manifest.object);
  if (match === null) return null;
  const kind = match[2] === 'snapshots' ? 'snapshot' : 'segment';
  return `${match[1]}/manifests/${kind}-${match[3]}.json`;
}
