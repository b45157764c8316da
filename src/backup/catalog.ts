// Reads what a target holds: its header and, per generation, the snapshots and segments
// its manifests describe. The manifests are the catalogue: an object without one is an
// interrupted write and is not part of the backup.
import type { BackupHeader, Manifest, SegmentManifest, SnapshotManifest } from './format.ts';
import { HEADER_KEY, parseHeader, parseManifest } from './format.ts';
import type { BackupTarget } from './target.ts';

export interface GenerationCatalog {
  generation: number;
  /** By sequence number, oldest first. */
  snapshots: SnapshotManifest[];
  /** By first sequence number. */
  segments: SegmentManifest[];
  /** The highest sequence number any snapshot or segment covers. */
  lastSeq: number;
}

export interface Catalog {
  header: BackupHeader;
  /** Oldest generation first. */
  generations: GenerationCatalog[];
  /** Manifests that could not be read: each names its key and what is wrong. */
  problems: string[];
}

export type ReadCatalogResult = { kind: 'ok'; catalog: Catalog } | { kind: 'empty' } | { kind: 'invalid'; reason: string };

export async function readHeader(target: BackupTarget): Promise<BackupHeader | { problem: string } | null> {
  const data = await target.get(HEADER_KEY);
  if (data === null) return null;
  const header = parseHeader(data);
  return typeof header === 'string' ? { problem: header } : header;
}

export async function readCatalog(target: BackupTarget, onlyGeneration?: number): Promise<ReadCatalogResult> {
  const header = await readHeader(target);
  if (header === null) return { kind: 'empty' };
  if ('problem' in header) return { kind: 'invalid', reason: header.problem };
  const prefix = onlyGeneration === undefined ? 'g' : `g${onlyGeneration}/manifests/`;
  const objects = (await target.list(prefix)).filter((object) => /^g\d+\/manifests\/[^/]+\.json$/.test(object.key));
  const problems: string[] = [];
  const byGeneration = new Map<number, GenerationCatalog>();
  for (const object of objects) {
    const data = await target.get(object.key);
    if (data === null) continue; // listed, then gone: nothing to read
    const manifest: Manifest | string = parseManifest(object.key, data);
    if (typeof manifest === 'string') {
      problems.push(manifest);
      continue;
    }
    const folder = Number(/^g(\d+)\//.exec(object.key)?.[1]);
    if (manifest.generation !== folder) {
      problems.push(`manifest ${object.key} says generation ${manifest.generation} but sits in g${folder}/`);
      continue;
    }
    let entry = byGeneration.get(manifest.generation);
    if (entry === undefined) {
      entry = { generation: manifest.generation, snapshots: [], segments: [], lastSeq: 0 };
      byGeneration.set(manifest.generation, entry);
    }
    if (manifest.kind === 'snapshot') {
      entry.snapshots.push(manifest);
      entry.lastSeq = Math.max(entry.lastSeq, manifest.seq);
    } else {
      entry.segments.push(manifest);
      entry.lastSeq = Math.max(entry.lastSeq, manifest.lastSeq);
    }
  }
  const generations = [...byGeneration.values()].sort((a, b) => a.generation - b.generation);
  for (const entry of generations) {
    entry.snapshots.sort((a, b) => a.seq - b.seq);
    entry.segments.sort((a, b) => a.firstSeq - b.firstSeq || a.lastSeq - b.lastSeq);
  }
  return { kind: 'ok', catalog: { header, generations, problems } };
}

/** The earliest and latest moments a generation can be restored to. */
export function coverage(entry: GenerationCatalog): { fromSeq: number; toSeq: number; fromTime: string | null; toTime: string | null } {
  const first = entry.snapshots[0];
  const lastSegmentTime = entry.segments.reduce<string | null>((latest, s) => (s.lastAt !== null && (latest === null || s.lastAt > latest) ? s.lastAt : latest), null);
  const lastSnapshot = entry.snapshots.at(-1);
  const toTime = [lastSegmentTime, lastSnapshot?.takenAt ?? null].filter((t): t is string => t !== null).sort().at(-1) ?? null;
  return { fromSeq: first?.seq ?? 0, toSeq: entry.lastSeq, fromTime: first?.takenAt ?? null, toTime };
}
