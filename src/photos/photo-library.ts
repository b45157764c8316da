// The photo library's engine room: the index (opened on first use), the derived files,
// the one-at-a-time lane every decode goes through, and the background indexer. The HTTP
// routes and the metrics hold one of these; it owns nothing of the store's.
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import sharp from 'sharp';
import type { Store } from '../store/store.ts';
import type { Content, Revision } from '../store/types.ts';
import { derivedFiles, type Variant } from './derived-files.ts';
import { openPhotoIndex, type MediaRecord, type PhotoIndex } from './photo-index.ts';
import { startPhotoIndexer, type PhotoIndexer } from './photo-indexer.ts';
import { createProcessor, emptyRecord } from './photo-processor.ts';
import type { PlaceholderReason } from './placeholder.ts';
import { createSerialLane } from './serial-lane.ts';

export const DERIVED_DIR = 'derived';

export interface PhotoLibraryOptions {
  store: Store;
  dataDir: string;
  log: FastifyBaseLogger;
  /** Indexer poll interval when caught up (it is also poked on every commit). */
  pollMs?: number;
  /** Pause after each image the indexer processes. */
  pauseMs?: number;
  maxImageBytes?: number;
}

export type DerivedImage = { kind: 'image'; data: Buffer } | { kind: 'placeholder'; reason: PlaceholderReason };

export type ProcessedListener = (record: MediaRecord) => void;

export interface PhotoLibrary {
  /** What is known of these contents (processed ones only). */
  known(hashes: string[]): Map<string, MediaRecord>;
  /** A thumbnail or preview, made now if it is missing; a placeholder where none can be made. */
  derived(sha256: string, variant: Variant, content: () => Promise<Content | null>): Promise<DerivedImage>;
  startIndexer(): void;
  poke(): void;
  onProcessed(listener: ProcessedListener): void;
  /** Images waiting for the decoder. */
  readonly queueLength: number;
  /** Change-log entries the indexer has not yet read, or null before it has a checkpoint. */
  backlog(): Promise<number | null>;
  /** Stops the indexer after the item in hand, lets decodes in flight finish, closes the index. */
  close(): Promise<void>;
}

export function placeholderReason(record: MediaRecord): PlaceholderReason {
  if (record.kind === 'video') return 'video';
  if (record.status === 'failed') return 'failed';
  if (record.mediaType === 'image/heic' || record.mediaType === 'image/heif') return 'heic';
  return 'unsupported';
}

export function createPhotoLibrary(options: PhotoLibraryOptions): PhotoLibrary {
  const { store, log } = options;
  const root = join(options.dataDir, DERIVED_DIR);
  const files = derivedFiles(join(root, 'photos'));
  let opened: PhotoIndex | null = null;
  let closed = false;
  const index = (): PhotoIndex => {
    if (closed) throw new Error('the photo library is closed');
    if (!opened) {
      opened = openPhotoIndex(join(root, 'photos.sqlite'));
      if (opened.rebuiltBecause) log.warn({ reason: opened.rebuiltBecause }, `photo library: rebuilt its index from the store because ${opened.rebuiltBecause}`);
    }
    return opened;
  };
  const processor = createProcessor({ index, files, maxImageBytes: options.maxImageBytes ?? 200 * 1024 * 1024 });
  const lane = createSerialLane();
  const listeners: ProcessedListener[] = [];
  let indexer: PhotoIndexer | null = null;

  const processNow = (sha256: string, content: () => Promise<Content | null>, priority: 'interactive' | 'background'): Promise<MediaRecord | null> =>
    lane.run(
      `process:${sha256}`,
      async () => {
        const already = index().get(sha256);
        if (already) return already;
        const found = await content();
        if (!found) return null;
        const record = await processor.process(sha256, found);
        for (const listener of listeners) listener(record);
        return record;
      },
      priority,
    );

  return {
    known: (hashes) => index().getMany(hashes),

    async derived(sha256, variant, content) {
      const record = index().get(sha256) ?? (await processNow(sha256, content, 'interactive'));
      if (!record || record.status === 'not-media') return { kind: 'placeholder', reason: 'unsupported' };
      if (record.status !== 'ready') return { kind: 'placeholder', reason: placeholderReason(record) };
      const stored = await files.read(sha256, variant);
      if (stored) return { kind: 'image', data: stored };
      // Derived files were deleted (or never survived a crash): make them again, in the lane.
      const remade = await lane.run(
        `remake:${sha256}`,
        async () => {
          const found = await content();
          return found ? processor.remake(sha256, found) : null;
        },
        'interactive',
      );
      return remade ? { kind: 'image', data: remade[variant] } : { kind: 'placeholder', reason: 'failed' };
    },

    startIndexer() {
      if (indexer || closed) return;
      // libvips may use several threads per image; one keeps a decode to one core.
      sharp.concurrency(1);
      indexer = startPhotoIndexer({
        store,
        index,
        log,
        pollMs: options.pollMs ?? 5_000,
        pauseMs: options.pauseMs ?? 25,
        process: (userId, revision: Revision) =>
          processNow(revision.contentHash ?? '', () => store.forUser(userId).readContent(revision.id), 'background'),
        recordFailure(revision, reason) {
          if (revision.contentHash === null) return;
          const record: MediaRecord = { ...emptyRecord(revision.contentHash, null), status: 'failed', reason };
          index().put(record);
          for (const listener of listeners) listener(record);
        },
      });
      log.info({ derived: root }, 'photo library: indexer started');
      // Best effort, in the background: a leftover is litter, never visible under a final name.
      void files.removeLeftovers().then(
        (removed) => removed > 0 && log.info({ removed }, `photo library: removed ${removed} half-written derived file(s) left by a crash`),
        (error: unknown) => log.warn({ err: error }, 'photo library: could not clear temporary derived files'),
      );
    },

    poke: () => indexer?.poke(),
    onProcessed: (listener) => void listeners.push(listener),
    get queueLength() {
      return lane.waiting;
    },

    async backlog() {
      if (!opened) return null;
      const checkpoint = opened.checkpoint();
      if (!checkpoint) return null;
      return Math.max(0, (await store.identity()).sequence - checkpoint.seq);
    },

    async close() {
      if (indexer) {
        await indexer.stop();
        log.info('photo library: indexer stopped');
      }
      await lane.idle();
      closed = true;
      opened?.close();
      opened = null;
    },
  };
}
