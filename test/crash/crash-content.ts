// Content for the crash writer: small vCards that the store keeps inline, and large
// random bodies that go to the blob engine, streamed in chunks of uneven size the way a
// network upload arrives. Each comes with its SHA-256, computed by the writer itself.
import { createHash } from 'node:crypto';
import { createRandom } from '../seeded-random.ts';
import type { Random } from '../seeded-random.ts';
import type { ContentSource } from '../../src/store/types.ts';

const LARGE_MIN_BYTES = 100 * 1024;
const LARGE_MAX_BYTES = 2 * 1024 * 1024;

/** Large bodies reuse one of this many contents some of the time: a second write of the
 * same blob takes the rename-over-an-existing-blob path, and the blob directory stays small
 * enough for every round's full integrity check. */
const SHARED_LARGE_CONTENTS = 16;
const SHARED_BODY_SEED = 0x5eed0000;

export interface GeneratedContent {
  /** Whole bytes (small), or a stream that can be read once (large). */
  source: ContentSource;
  size: number;
  /** The SHA-256 of the content; for a stream, known once it has been read to the end. */
  hash(): string;
}

export function smallContent(random: Random, item: string): GeneratedContent {
  const note = Buffer.alloc(random.int(40, 300));
  random.fill(note);
  const bytes = Buffer.from(
    [
      'BEGIN:VCARD',
      'VERSION:4.0',
      `UID:urn:uuid:${item}`,
      `FN:Crash Writer ${random.int(0, 1_000_000)}`,
      `TEL;TYPE=cell:+1-555-${String(random.int(0, 9999)).padStart(4, '0')}`,
      `NOTE:${note.toString('base64')}`,
      'END:VCARD',
      '',
    ].join('\r\n'),
  );
  const hash = createHash('sha256').update(bytes).digest('hex');
  return { source: bytes, size: bytes.byteLength, hash: () => hash };
}

/** A large body: fresh random bytes, or (a third of the time) one of a few shared bodies. */
export function largeContent(random: Random): GeneratedContent {
  // Chunk sizes come from the writer's stream and bytes from the body's own, so a shared
  // body has the same bytes (and size) however it is cut.
  const bodySeed = random.chance(1 / 3) ? SHARED_BODY_SEED + random.int(0, SHARED_LARGE_CONTENTS - 1) : random.seed();
  const bodyRandom = createRandom(bodySeed);
  // Spread evenly on a log scale, as photos and files are: as many near 100 KB as near 2 MB.
  const size = Math.round(LARGE_MIN_BYTES * (LARGE_MAX_BYTES / LARGE_MIN_BYTES) ** bodyRandom.next());
  const hasher = createHash('sha256');
  let finished = false;
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    let remaining = size;
    while (remaining > 0) {
      const chunk = Buffer.alloc(Math.min(remaining, chunkSize(random)));
      bodyRandom.fill(chunk);
      hasher.update(chunk);
      remaining -= chunk.byteLength;
      yield chunk;
    }
    finished = true;
  }
  let hash: string | null = null;
  return {
    source: chunks(),
    size,
    hash() {
      if (!finished) throw new Error('the large body was not read to the end, so its hash is not known');
      hash ??= hasher.digest('hex');
      return hash;
    },
  };
}

/** Mostly 1–256 KiB, sometimes a few bytes: uploads arrive cut at arbitrary places. */
function chunkSize(random: Random): number {
  return random.chance(0.1) ? random.int(1, 512) : random.int(1024, 256 * 1024);
}
