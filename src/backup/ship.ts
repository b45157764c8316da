// Ships a store's change log to one target: every new revision with its content and every
// collection change, in sequence order, as segments; the accounts whenever they change;
// and a snapshot of the metadata at the start of each generation and every so many changes.
//
// The checkpoint is the target itself: on start the shipper reads its manifests and goes
// on after the highest sequence number they cover. Order of writes per segment: blobs, then
// the segment, then its manifest, so a manifest never describes anything missing. A crash
// between them means some objects are written twice, which is harmless.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Store } from '../store/store.ts';
import type { Change } from '../store/types.ts';
import { readCatalog } from './catalog.ts';
import type { SegmentManifest, SegmentRecord, SnapshotManifest } from './format.ts';
import { unlockTarget } from './unlock-target.ts';
import {
  BACKUP_FORMAT,
  blobKey,
  encodeJson,
  encodeSegment,
  segmentKeys,
  sha256Of,
  snapshotKeys,
} from './format.ts';
import type { BackupSource, ChangeExtras } from './sqlite-source.ts';
import type { BackupTarget } from './target.ts';

const gzipAsync = promisify(gzip);

/** How many changes one segment holds at most. */
const SEGMENT_CHANGES = 1000;
export const DEFAULT_SNAPSHOT_EVERY_CHANGES = 10_000;

export interface ShipperOptions {
  store: Store;
  source: BackupSource;
  /** A new snapshot after this many changes since the last one. */
  snapshotEveryChanges?: number;
  /** Encrypt a new target with this passphrase; required for a target that is encrypted. */
  passphrase?: string | undefined;
  now?: () => Date;
}

export interface PassResult {
  /** Change records written by this pass. */
  changes: number;
  segments: number;
  blobs: number;
  snapshots: number;
  /** Everything up to this sequence number is on the target. */
  shippedSeq: number;
}

export class TargetRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetRefusedError';
  }
}

interface ShipperState {
  /** The target as the backup reads and writes it (through the key, if encrypted). */
  io: BackupTarget;
  generation: number;
  shippedSeq: number;
  lastSnapshotSeq: number;
  blobs: Set<string>;
  accountsHash: string | null;
}

export class TargetShipper {
  readonly target: BackupTarget;
  private readonly options: ShipperOptions;
  private state: ShipperState | null = null;

  constructor(target: BackupTarget, options: ShipperOptions) {
    this.target = target;
    this.options = options;
  }

  /** The highest sequence number known to be on the target, or null before the first pass. */
  get shippedSeq(): number | null {
    return this.state?.shippedSeq ?? null;
  }

  /** Retention removed these blobs from the target: ship them again if they are needed. */
  forgetBlobs(hashes: Iterable<string>): void {
    if (this.state === null) return;
    for (const hash of hashes) this.state.blobs.delete(hash);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  /** Ships everything the store holds now; resolves when the target holds it durably. */
  async pass(): Promise<PassResult> {
    const result: PassResult = { changes: 0, segments: 0, blobs: 0, snapshots: 0, shippedSeq: 0 };
    const identity = await this.options.store.identity();
    if (this.state === null || this.state.generation !== identity.generation) {
      this.state = await this.load(identity.storeId, identity.generation);
    }
    const state = this.state;
    if (state.shippedSeq > identity.sequence) {
      throw new TargetRefusedError(
        `${this.target.description} holds changes up to ${state.shippedSeq} of generation ${state.generation}, but the store is at ${identity.sequence}: ` +
          'the store lost changes the backup has. Restore from this target (holdfast restore) instead of backing up over it.',
      );
    }
    if (state.lastSnapshotSeq < 0) await this.snapshot(state, result);

    for (;;) {
      const changes = await this.options.store.changesSince({ after: state.shippedSeq, limit: SEGMENT_CHANGES });
      const accounts = this.accountsIfChanged(state);
      if (changes.length === 0 && accounts === null) break;
      await this.shipSegment(state, changes, accounts, result);
      if (changes.length < SEGMENT_CHANGES) break;
    }
    const every = this.options.snapshotEveryChanges ?? DEFAULT_SNAPSHOT_EVERY_CHANGES;
    if (state.shippedSeq - state.lastSnapshotSeq >= every) await this.snapshot(state, result);
    result.shippedSeq = state.shippedSeq;
    return result;
  }

  private async load(storeId: string, generation: number): Promise<ShipperState> {
    const unlocked = await unlockTarget(this.target, this.options.passphrase, { storeId, now: this.now() });
    if (unlocked.kind !== 'unlocked') throw new TargetRefusedError(unlocked.kind === 'refused' ? unlocked.reason : `${this.target.description}: no header after writing one`);
    const { header, target: io } = unlocked;
    if (header.storeId !== storeId) {
      throw new TargetRefusedError(
        `${this.target.description} holds the backup of store ${header.storeId}, not of this store (${storeId}); give each store a target of its own`,
      );
    }
    const catalog = await readCatalog(io, generation);
    const entry = catalog.kind === 'ok' ? catalog.catalog.generations.find((g) => g.generation === generation) : undefined;
    const blobs = new Set((await io.list('blobs/')).map((object) => object.key.slice(object.key.lastIndexOf('/') + 1)));
    const lastSnapshot = entry?.snapshots.at(-1);
    return {
      io,
      generation,
      shippedSeq: entry?.lastSeq ?? 0,
      // -1: this generation has no snapshot yet, so the first pass takes one.
      lastSnapshotSeq: lastSnapshot?.seq ?? -1,
      blobs,
      accountsHash: null,
    };
  }

  private accountsIfChanged(state: ShipperState): Extract<SegmentRecord, { type: 'accounts' }> | null {
    const accounts = this.options.source.accounts();
    const hash = hashAccounts(accounts);
    if (hash === state.accountsHash) return null;
    state.accountsHash = hash;
    return { type: 'accounts', afterSeq: state.shippedSeq, at: this.now().toISOString(), ...accounts };
  }

  private async shipSegment(
    state: ShipperState,
    changes: Change[],
    accounts: Extract<SegmentRecord, { type: 'accounts' }> | null,
    result: PassResult,
  ): Promise<void> {
    const first = changes[0]?.seq ?? state.shippedSeq;
    const last = changes.at(-1)?.seq ?? state.shippedSeq;
    const extras = changes.length === 0 ? new Map<number, ChangeExtras>() : this.options.source.extras(state.shippedSeq, last);
    const records: SegmentRecord[] = [];
    for (const change of changes) {
      const extra = extras.get(change.seq);
      if (extra === undefined) throw new Error(`change ${change.seq} is in the change log but not in the database read beside it`);
      if (change.kind === 'collection') {
        records.push({ type: 'collection', seq: change.seq, at: extra.at, userId: change.userId, collectionId: change.collectionId, collection: change.collection, deletedWith: extra.deletedWith });
        continue;
      }
      const { revision } = change;
      if (revision.storage === 'blob' && revision.contentHash !== null) {
        result.blobs += await this.shipBlob(state, change.userId, revision.id, revision.contentHash);
      }
      records.push({
        type: 'revision',
        seq: change.seq,
        at: extra.at,
        userId: change.userId,
        collectionId: change.collectionId,
        revision,
        uniqueKey: extra.uniqueKey,
        inline: revision.storage === 'inline' && extra.inline !== null ? extra.inline.toString('base64') : null,
      });
    }
    // The accounts as read now are at least as new as every change above.
    if (accounts !== null) records.push({ ...accounts, afterSeq: last });
    const data = encodeSegment(records);
    const keys = segmentKeys(state.generation, first, last);
    const manifest: SegmentManifest = {
      kind: 'segment',
      format: BACKUP_FORMAT,
      generation: state.generation,
      object: keys.object,
      sha256: sha256Of(data),
      bytes: data.byteLength,
      firstSeq: first,
      lastSeq: last,
      firstAt: records.find((r) => r.type !== 'accounts')?.at ?? null,
      lastAt: records.filter((r) => r.type !== 'accounts').at(-1)?.at ?? null,
      records: records.length,
      writtenAt: this.now().toISOString(),
    };
    await state.io.put(keys.object, data);
    await state.io.put(keys.manifest, encodeJson(manifest));
    state.shippedSeq = last;
    result.changes += changes.length;
    result.segments += 1;
  }

  /** Copies one blob to the target unless it is there; returns 1 if it copied. */
  private async shipBlob(state: ShipperState, userId: number, revisionId: string, hash: string): Promise<number> {
    if (state.blobs.has(hash)) return 0;
    const content = await this.options.store.forUser(userId).readContent(revisionId);
    if (content === null) throw new Error(`revision ${revisionId} has blob ${hash}, but its content cannot be read`);
    // Streamed: a large file never sits in memory. The store checks the hash while
    // streaming, so a damaged blob fails here and nothing is stored under its name.
    await state.io.putStream(blobKey(hash), content.open());
    state.blobs.add(hash);
    return 1;
  }

  private async snapshot(state: ShipperState, result: PassResult): Promise<void> {
    // Read before the copy: a change to the accounts after this read ships in a segment.
    const accountsHash = hashAccounts(this.options.source.accounts());
    const scratch = await mkdtemp(join(tmpdir(), 'holdfast-snapshot-'));
    try {
      const path = join(scratch, 'metadata.sqlite');
      const copy = await this.options.source.snapshot(path);
      if (copy.generation !== state.generation) {
        throw new Error(`the store's generation changed from ${state.generation} to ${copy.generation} during a backup; the next pass starts over`);
      }
      const referenced = blobsReferencedBy(path);
      for (const blob of referenced) result.blobs += await this.shipBlob(state, blob.userId, blob.revisionId, blob.hash);
      // Compressed off the event loop: a snapshot may be large, and the server keeps serving.
      const data = await gzipAsync(await readFile(path));
      const keys = snapshotKeys(state.generation, copy.seq);
      const manifest: SnapshotManifest = {
        kind: 'snapshot',
        format: BACKUP_FORMAT,
        generation: state.generation,
        object: keys.object,
        sha256: sha256Of(data),
        bytes: data.byteLength,
        seq: copy.seq,
        takenAt: this.now().toISOString(),
        schemaVersion: copy.schemaVersion,
        writtenAt: this.now().toISOString(),
      };
      await state.io.put(keys.object, data);
      await state.io.put(keys.manifest, encodeJson(manifest));
      state.lastSnapshotSeq = copy.seq;
      state.shippedSeq = Math.max(state.shippedSeq, copy.seq);
      state.accountsHash = accountsHash;
      result.snapshots += 1;
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
}

function hashAccounts(accounts: ReturnType<BackupSource['accounts']>): string {
  // Last use is bumped on every sign-in; it is not worth a segment of its own.
  const credentials = accounts.credentials.map((c) => ({ ...c, last_used_at: null }));
  return createHash('sha256').update(JSON.stringify([accounts.users, credentials])).digest('hex');
}

function blobsReferencedBy(path: string): Array<{ hash: string; revisionId: string; userId: number }> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db
      .prepare(
        `SELECT r.content_hash AS hash, min(r.id) AS revisionId, c.user_id AS userId
         FROM revisions r JOIN items i ON i.id = r.item_id JOIN collections c ON c.id = i.collection_id
         WHERE r.storage = 'blob' GROUP BY r.content_hash`,
      )
      .all() as Array<{ hash: string; revisionId: string; userId: number }>;
  } finally {
    db.close();
  }
}
