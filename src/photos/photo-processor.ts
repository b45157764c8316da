// One content, once: sniff what it is, read its metadata, make its preview and thumbnail,
// and record the outcome in the index. Every outcome is recorded, failures included, so
// the same bytes are never decoded twice; the original is never touched.
import type { Content } from '../store/types.ts';
import type { DerivedFiles, Variant } from './derived-files.ts';
import type { MediaRecord, PhotoIndex } from './photo-index.ts';
import { readPhotoMetadata } from './read-photo-metadata.ts';
import { readVideoMetadata } from './read-video-metadata.ts';
import { renderVariants } from './render-variants.ts';
import { isHevcImage, sniffMedia, SNIFF_BYTES, type SniffedMedia } from './sniff-media.ts';

export interface ProcessorDeps {
  index: () => PhotoIndex;
  files: DerivedFiles;
  /** Images larger than this are recorded as failed rather than decoded in memory. */
  maxImageBytes: number;
}

async function readHead(content: Content, bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of content.open()) {
    chunks.push(Buffer.from(chunk));
    length += chunk.length;
    if (length >= bytes) break;
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

async function readAll(content: Content): Promise<Buffer> {
  const chunks: Buffer[] = [];
  // Read through to the end: the store checks the hash as the last chunk arrives.
  for await (const chunk of content.open()) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** The line of a decoder's error that says what failed (libvips puts its trail of attempts first). */
function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  return (lines.at(-1) ?? text).slice(0, 300);
}

/** A record with nothing read yet: status not-media until said otherwise. */
export function emptyRecord(sha256: string, sniffed: SniffedMedia | null): MediaRecord {
  return {
    sha256,
    kind: sniffed?.kind ?? null,
    mediaType: sniffed?.mediaType ?? null,
    status: 'not-media',
    reason: null,
    takenAt: null,
    takenAtMs: null,
    width: null,
    height: null,
    orientation: null,
    make: null,
    model: null,
    latitude: null,
    longitude: null,
    processedAt: new Date().toISOString(),
  };
}

export function createProcessor(deps: ProcessorDeps) {
  async function describe(sha256: string, content: Content): Promise<{ record: MediaRecord; variants: Record<Variant, Buffer> | null }> {
    const sniffed = sniffMedia(await readHead(content, SNIFF_BYTES));
    const record = emptyRecord(sha256, sniffed);
    if (!sniffed) return { record, variants: null };
    if (sniffed.kind === 'video') {
      const isoFamily = ['video/mp4', 'video/quicktime', 'video/3gpp'].includes(sniffed.mediaType);
      const metadata = isoFamily ? await readVideoMetadata(content.open()) : {};
      return {
        record: { ...record, ...metadata, status: 'unsupported', reason: 'video: the original is stored and served; frames are not extracted on this server' },
        variants: null,
      };
    }
    if (content.size > deps.maxImageBytes) {
      return { record: { ...record, status: 'failed', reason: `the image is ${content.size} bytes, more than the ${deps.maxImageBytes} this server decodes` }, variants: null };
    }
    const bytes = await readAll(content);
    const metadata = await readPhotoMetadata(bytes);
    try {
      const variants = await renderVariants(bytes);
      return { record: { ...record, ...metadata, status: 'ready' }, variants };
    } catch (error) {
      if (isHevcImage(sniffed.mediaType)) {
        return {
          record: { ...record, ...metadata, status: 'unsupported', reason: `HEIC/HEIF with HEVC: the image decoder on this server cannot read it (${message(error)})` },
          variants: null,
        };
      }
      return { record: { ...record, ...metadata, status: 'failed', reason: `the image could not be decoded: ${message(error)}` }, variants: null };
    }
  }

  return {
    /** Processes the content and records the outcome; the derived files are written first,
     * so a 'ready' record never points at files that were not made. */
    async process(sha256: string, content: Content): Promise<MediaRecord> {
      const { record, variants } = await describe(sha256, content);
      if (variants) {
        await deps.files.write(sha256, 'preview', variants.preview);
        await deps.files.write(sha256, 'thumbnail', variants.thumbnail);
      }
      deps.index().put(record);
      return record;
    },

    /** Makes the derived files again (they were deleted); null if the image no longer decodes. */
    async remake(sha256: string, content: Content): Promise<Record<Variant, Buffer> | null> {
      const bytes = await readAll(content);
      let variants: Record<Variant, Buffer>;
      try {
        variants = await renderVariants(bytes);
      } catch {
        return null;
      }
      await deps.files.write(sha256, 'preview', variants.preview);
      await deps.files.write(sha256, 'thumbnail', variants.thumbnail);
      return variants;
    },
  };
}

export type Processor = ReturnType<typeof createProcessor>;
