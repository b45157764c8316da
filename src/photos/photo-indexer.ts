// The background task that brings every photo and video into the library, whatever path
// it arrived by (WebDAV, resumable upload, COPY, MOVE, restore): it follows the store's
// change log from a checkpoint kept in the photo index, and hands each new content in a
// collection of kind 'files' to the processor, one at a time, with a pause between items
// so requests are never starved. Content already processed (by hash) is skipped, so a
// photo copied to a second folder, or uploaded by a second user, is decoded once.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { ContentDamagedError } from '../store/content-damaged-error.ts';
import type { Store } from '../store/store.ts';
import type { Change, CollectionKind, Revision } from '../store/types.ts';
import type { MediaRecord, PhotoIndex } from './photo-index.ts';

export interface IndexerDeps {
  store: Store;
  index: () => PhotoIndex;
  /** Processes one content (through the library's one-at-a-time lane) and records it. */
  process: (userId: number, revision: Revision) => Promise<MediaRecord | null>;
  /** Records that a content could not be processed at all (its stored bytes are damaged). */
  recordFailure: (revision: Revision, reason: string) => void;
  log: FastifyBaseLogger;
  /** How long to wait for new changes when caught up, unless poked sooner. */
  pollMs: number;
  /** The pause after each processed item. */
  pauseMs: number;
}

export interface PhotoIndexer {
  /** New changes may be waiting: look now instead of at the next poll. */
  poke(): void;
  /** Finishes the item in hand, then stops. */
  stop(): Promise<void>;
}

const BATCH = 200;
const MAX_ATTEMPTS = 5;
const PROGRESS_EVERY = 100;

export function startPhotoIndexer(deps: IndexerDeps): PhotoIndexer {
  const { store, log } = deps;
  let stopped = false;
  let wake: ((reason: 'poke' | 'stop') => void) | null = null;
  // A poke that arrives while an item is in hand is kept for the next rest.
  let poked = false;
  const kinds = new Map<number, CollectionKind>();
  // Outcomes since the last progress line.
  const progress: Record<MediaRecord['status'], number> = { ready: 0, unsupported: 0, failed: 0, 'not-media': 0 };
  const progressLine = (seq: number, what: string): void => {
    log.info({ seq, ...progress }, `photo library: ${what} (since the last report: ${progress.ready} ready, ${progress.unsupported} without a decoder, ${progress.failed} failed, ${progress['not-media']} not media)`);
    for (const key of Object.keys(progress) as Array<keyof typeof progress>) progress[key] = 0;
  };

  /** Waits `ms`, or less if stopped; a pokable wait also ends when poked (new changes). */
  const rest = async (ms: number, pokable: boolean): Promise<void> => {
    if (stopped) return;
    if (pokable && poked) {
      poked = false;
      return;
    }
    const controller = new AbortController();
    wake = (reason) => {
      if (reason === 'stop' || pokable) controller.abort();
    };
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
    wake = null;
    if (pokable) poked = false;
  };

  async function kindOf(userId: number, collectionId: number): Promise<CollectionKind | undefined> {
    if (!kinds.has(collectionId)) {
      for (const collection of await store.forUser(userId).listCollections({ includeDeleted: true })) kinds.set(collection.id, collection.kind);
    }
    return kinds.get(collectionId);
  }

  /** True if the change made a decoder run (worth a pause after). */
  async function follow(change: Change): Promise<boolean> {
    if (change.kind === 'collection') {
      kinds.set(change.collectionId, change.collection.kind);
      return false;
    }
    const { revision } = change;
    if (revision.deleted || revision.contentHash === null || revision.size === 0) return false;
    if ((await kindOf(change.userId, change.collectionId)) !== 'files') return false;
    if (deps.index().get(revision.contentHash)) return false;
    try {
      const record = await deps.process(change.userId, revision);
      if (record) {
        progress[record.status] += 1;
        // Every outcome at debug; the ones a person may want to act on at info.
        const level = record.status === 'failed' || record.status === 'unsupported' ? 'info' : 'debug';
        log[level](
          { sha256: record.sha256, mediaType: record.mediaType, status: record.status, reason: record.reason, seq: change.seq },
          `photo library: ${revision.itemName} is ${record.status}${record.reason ? ` (${record.reason})` : ''}`,
        );
      }
    } catch (error) {
      if (!(error instanceof ContentDamagedError)) throw error;
      // The scrubber and the item API report damaged content; here it only must not stall the library.
      deps.recordFailure(revision, `the stored content failed its integrity check: ${error.message}`);
    }
    return true;
  }

  async function currentCheckpoint(): Promise<{ storeId: string; generation: number; seq: number }> {
    const identity = await store.identity();
    const saved = deps.index().checkpoint();
    if (saved && saved.storeId === identity.storeId && saved.generation === identity.generation && saved.seq <= identity.sequence) return saved;
    // A first start, a rebuilt index, or a store restored from backup: read the log from
    // the beginning. Contents already processed are skipped by hash, so this is cheap.
    const fresh = { storeId: identity.storeId, generation: identity.generation, seq: 0 };
    if (saved) log.info({ saved, identity }, 'photo library: the store is not the one the index followed (restored or replaced); reading its change log again from the start');
    deps.index().setCheckpoint(fresh);
    return fresh;
  }

  async function run(): Promise<void> {
    // Failures of the change in hand (to give up on it), and failed passes in a row (to back off).
    let failures = 0;
    let failedPasses = 0;
    let announced = false;
    while (!stopped) {
      try {
        const checkpoint = await currentCheckpoint();
        const changes = await store.changesSince({ after: checkpoint.seq, limit: BATCH });
        failedPasses = 0;
        if (changes.length === 0) {
          if (announced) progressLine(checkpoint.seq, `caught up with the change log at sequence ${checkpoint.seq}`);
          announced = false;
          await rest(deps.pollMs, true);
          continue;
        }
        if (!announced) log.info({ from: checkpoint.seq }, 'photo library: indexing new changes');
        announced = true;
        for (const change of changes) {
          if (stopped) return;
          let worked = false;
          try {
            worked = await follow(change);
            failures = 0;
          } catch (error) {
            failures += 1;
            if (failures < MAX_ATTEMPTS) throw error;
            // Skip this one change rather than stall the whole library behind it; its item
            // stays pending and is processed when someone asks for its thumbnail.
            log.error({ err: error, seq: change.seq }, `photo library: giving up on change ${change.seq} (${change.kind === 'revision' ? change.revision.itemName : 'a collection'}) after ${failures} attempts; it stays pending`);
            failures = 0;
          }
          deps.index().setCheckpoint({ ...checkpoint, seq: change.seq });
          const done = progress.ready + progress.unsupported + progress.failed + progress['not-media'];
          if (done >= PROGRESS_EVERY) progressLine(change.seq, `indexing, at sequence ${change.seq}`);
          // Not cut short by pokes: a busy upload must not turn the pause off.
          if (worked) await rest(deps.pauseMs, false);
        }
      } catch (error) {
        if (stopped) return;
        // Not cut short by pokes either: a broken disk must not be retried on every commit.
        failedPasses += 1;
        const backoff = Math.min(60_000, 1000 * 2 ** failedPasses);
        log.error({ err: error, attempt: failedPasses }, `photo library: indexing failed; retrying in ${backoff / 1000} s`);
        await rest(backoff, false);
      }
    }
  }

  const running = run();
  return {
    poke() {
      poked = true;
      wake?.('poke');
    },
    async stop() {
      stopped = true;
      wake?.('stop');
      await running;
    },
  };
}
