// Applies retention to a target: removes what no kept point needs, in an order that a crash
// at any step cannot turn into a broken kept point:
//   1. the manifests of pruned snapshots and segments (a manifest is the commit point, so
//      once it is gone the object is no longer part of the backup, and a half-pruned
//      snapshot is never listed);
//   2. their objects, and objects an earlier prune or an interrupted write left without a
//      manifest;
//   3. last, blobs that nothing kept refers to, computed from the kept snapshots and
//      segments themselves.
// Removing any subset of the pruned manifests leaves every kept point restorable (see
// retention.ts), so a crash anywhere leaves a target that `verify` passes, and the next
// prune finishes the job.
//
// The server prunes between its own backup passes, so nothing it is writing can be
// removed; a `holdfast backup prune` by hand must not run while a server backs up to the
// same target (docs/backup.md).
import Database from 'better-sqlite3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Catalog } from './catalog.ts';
import { readCatalog } from './catalog.ts';
import type { Manifest } from './format.ts';
import { decodeSegment, sha256Of } from './format.ts';
import type { PromisedSnapshot, PromisedSpan, RetentionPolicy } from './retention.ts';
import { chooseRetained, manifestKeyOf } from './retention.ts';
import type { RestorableSpan } from './retention-coverage.ts';
import { restorableSpans } from './retention-coverage.ts';
import type { BackupObjectInfo, BackupTarget } from './target.ts';
import { unlockTarget } from './unlock-target.ts';

export interface PruneOptions {
  policy: RetentionPolicy;
  now: Date;
  passphrase?: string | undefined;
  /** Say what would go, delete nothing. */
  dryRun?: boolean;
}

export interface PruneReport {
  target: string;
  dryRun: boolean;
  policy: RetentionPolicy;
  /** The keep-everything window starts here. */
  windowFrom: string;
  promised: { spans: PromisedSpan[]; snapshots: PromisedSnapshot[] };
  /** What goes (or would go, in a dry run). */
  removed: { snapshots: string[]; segments: string[]; leftovers: string[]; blobs: string[]; bytes: number };
  /** The blob hashes removed: a running shipper must forget it ever shipped them. */
  removedBlobHashes: string[];
  /** What the target restores after the prune. */
  restorable: RestorableSpan[];
}

export type PruneOutcome = { kind: 'pruned'; report: PruneReport } | { kind: 'empty' } | { kind: 'refused'; reason: string };

export async function pruneBackup(rawTarget: BackupTarget, options: PruneOptions): Promise<PruneOutcome> {
  const unlocked = await unlockTarget(rawTarget, options.passphrase);
  if (unlocked.kind === 'empty') return { kind: 'empty' };
  if (unlocked.kind === 'refused') return { kind: 'refused', reason: unlocked.reason };
  const target = unlocked.target;
  // Blobs are listed before the catalogue is read: a blob shipped after this listing is
  // never a candidate, whatever it is shipped for.
  const blobObjects = await target.list('blobs/');
  const read = await readCatalog(target);
  if (read.kind === 'empty') return { kind: 'empty' };
  if (read.kind === 'invalid') return { kind: 'refused', reason: read.reason };
  const catalog = read.catalog;
  if (catalog.problems.length > 0) {
    // An unreadable manifest may describe something that needs blobs: deciding what is
    // unreferenced without it could remove them.
    return { kind: 'refused', reason: `${rawTarget.description} has manifests that cannot be read (${catalog.problems.join('; ')}); run holdfast backup verify and fix the target before pruning` };
  }
  const choice = chooseRetained(catalog, options.policy, options.now);
  const generationObjects = await target.list('g');

  const manifestKeys = new Set(generationObjects.filter((o) => o.key.includes('/manifests/')).map((o) => o.key));
  const sizes = new Map(generationObjects.map((o) => [o.key, o.size]));
  const prunedWithKeys: Array<{ manifest: Manifest; key: string }> = [];
  for (const manifest of choice.pruned) {
    const key = manifestKeyOf(manifest);
    // A manifest whose own name cannot be found is left alone (it stays in the backup).
    if (key !== null && manifestKeys.has(key)) prunedWithKeys.push({ manifest, key });
    else choice.kept.add(manifest.object);
  }
  const leftovers = leftoverObjects(catalog, generationObjects);
  const referenced = await blobsReferencedByKept(target, catalog, choice.kept);
  const unreferenced = blobObjects.filter((o) => !referenced.has(hashOf(o)));

  const report: PruneReport = {
    target: rawTarget.description,
    dryRun: options.dryRun === true,
    policy: options.policy,
    windowFrom: choice.windowFrom,
    promised: { spans: choice.spans, snapshots: choice.snapshots },
    removed: {
      snapshots: prunedWithKeys.filter((p) => p.manifest.kind === 'snapshot').map((p) => p.manifest.object),
      segments: prunedWithKeys.filter((p) => p.manifest.kind === 'segment').map((p) => p.manifest.object),
      leftovers: leftovers.map((o) => o.key),
      blobs: unreferenced.map((o) => o.key),
      bytes:
        prunedWithKeys.reduce((n, p) => n + (sizes.get(p.manifest.object) ?? 0) + (sizes.get(p.key) ?? 0), 0) +
        leftovers.reduce((n, o) => n + o.size, 0) +
        unreferenced.reduce((n, o) => n + o.size, 0),
    },
    removedBlobHashes: unreferenced.map(hashOf),
    restorable: afterPrune(catalog, choice.kept).flatMap(restorableSpans),
  };
  if (options.dryRun === true) return { kind: 'pruned', report };

  for (const { key } of prunedWithKeys) await target.delete(key);
  for (const { manifest } of prunedWithKeys) await target.delete(manifest.object);
  for (const object of leftovers) await target.delete(object.key);
  for (const object of unreferenced) await target.delete(object.key);
  return { kind: 'pruned', report };
}

function hashOf(object: BackupObjectInfo): string {
  return object.key.slice(object.key.lastIndexOf('/') + 1);
}

/** The catalogue as it will be: only what is kept. */
function afterPrune(catalog: Catalog, kept: Set<string>) {
  return catalog.generations
    .map((g) => ({ ...g, snapshots: g.snapshots.filter((s) => kept.has(s.object)), segments: g.segments.filter((s) => kept.has(s.object)) }))
    .filter((g) => g.snapshots.length > 0 || g.segments.length > 0);
}

/**
 * Snapshot and segment objects no manifest names: left by a prune that a crash
 * interrupted, or by a write interrupted between object and manifest. One that may be a
 * write in progress is left alone: a shipper writes only after the highest sequence
 * number its generation's manifests cover (a snapshot or an accounts-only segment exactly
 * at it), and only in the newest generation or a newer one.
 */
function leftoverObjects(catalog: Catalog, objects: BackupObjectInfo[]): BackupObjectInfo[] {
  const named = new Set(catalog.generations.flatMap((g) => [...g.snapshots, ...g.segments].map((m) => m.object)));
  const newestGeneration = Math.max(0, ...catalog.generations.map((g) => g.generation));
  const leftovers: BackupObjectInfo[] = [];
  for (const object of objects) {
    const match = /^g(\d+)\/(snapshots|segments)\/(\d+)-(?:(\d+)-)?[0-9a-f]+\.(?:sqlite|jsonl)\.gz$/.exec(object.key);
    if (match === null || named.has(object.key)) continue;
    const generation = Number(match[1]);
    const lastSeq = Number(match[4] ?? match[3]);
    const entry = catalog.generations.find((g) => g.generation === generation);
    const finished = entry === undefined ? generation < newestGeneration : lastSeq < entry.lastSeq;
    if (finished) leftovers.push(object);
  }
  return leftovers;
}

/** Every blob a kept snapshot or segment names. Anything unreadable stops the prune: a
 * blob it needs cannot be told apart from one nothing needs. */
async function blobsReferencedByKept(target: BackupTarget, catalog: Catalog, kept: Set<string>): Promise<Set<string>> {
  const referenced = new Set<string>();
  const scratch = await mkdtemp(join(tmpdir(), 'holdfast-retention-'));
  try {
    for (const generation of catalog.generations) {
      for (const manifest of [...generation.snapshots, ...generation.segments]) {
        if (!kept.has(manifest.object)) continue;
        const data = await target.get(manifest.object);
        if (data === null) throw new Error(`${manifest.object} is missing (its manifest names it); run holdfast backup verify before pruning`);
        if (sha256Of(data) !== manifest.sha256) throw new Error(`${manifest.object} does not match its checksum; run holdfast backup verify before pruning`);
        if (manifest.kind === 'segment') {
          for (const record of decodeSegment(data)) {
            if (record.type === 'revision' && record.revision.storage === 'blob' && record.revision.contentHash !== null) referenced.add(record.revision.contentHash);
          }
          continue;
        }
        const path = join(scratch, 'snapshot.sqlite');
        await writeFile(path, gunzipSync(data));
        const db = new Database(path, { readonly: true, fileMustExist: true });
        try {
          for (const hash of db.prepare("SELECT DISTINCT content_hash FROM revisions WHERE storage = 'blob' AND content_hash IS NOT NULL").pluck().all() as string[]) {
            referenced.add(hash);
          }
        } finally {
          db.close();
        }
        await rm(path, { force: true });
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return referenced;
}
