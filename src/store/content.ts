// Takes in the bytes of a write and decides where they live: small content (a vCard, an
// event) inline in the metadata engine, anything larger in the blob engine, streamed so a
// video never sits in memory. Only content up to the inline limit is ever buffered.

import { createHash } from 'node:crypto';
import type { BlobEngine, BlobPutResult } from './blobs/blob-engine.ts';
import type { ContentSource } from './types.ts';

export type IngestResult =
  | { kind: 'inline'; bytes: Buffer; hash: string; size: number }
  | { kind: 'blob'; hash: string; size: number }
  | { kind: 'too-large'; limit: number };

/** SHA-256 as lowercase hex: how Holdfast names content everywhere. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads `source` once. Content up to `inlineLimitBytes` comes back inline; larger content
 * is durable in `blobs` when this resolves. Past `maxBytes`, nothing is stored. */
export async function ingestContent(
  source: ContentSource,
  blobs: BlobEngine,
  options: { inlineLimitBytes: number; maxBytes?: number },
): Promise<IngestResult> {
  const { inlineLimitBytes, maxBytes } = options;
  assertByteCount('inlineLimitBytes', inlineLimitBytes);
  if (maxBytes !== undefined) assertByteCount('maxBytes', maxBytes);

  if (source instanceof Uint8Array) {
    if (maxBytes !== undefined && source.byteLength > maxBytes) return { kind: 'too-large', limit: maxBytes };
    if (source.byteLength <= inlineLimitBytes) return inline([source], source.byteLength);
    return fromPut(await blobs.put(chunksThenRest([source], null), { maxBytes }));
  }

  const iterator = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    // If next() throws, the iterator has already finished itself; nothing to close.
    const next = await iterator.next();
    if (next.done) return inline(head, size);
    let chunk: Uint8Array;
    try {
      chunk = checkChunk(next.value);
    } catch (error) {
      await iterator.return?.();
      throw error;
    }
    size += chunk.byteLength;
    if (maxBytes !== undefined && size > maxBytes) {
      await iterator.return?.();
      return { kind: 'too-large', limit: maxBytes };
    }
    if (size > inlineLimitBytes) {
      // Not copied: the iterator is not asked for more until the blob engine has used it.
      head.push(chunk);
      break;
    }
    // Copied, because we ask for the next chunk before using this one, and a source may
    // reuse its buffer.
    head.push(Buffer.from(chunk));
  }
  return fromPut(await blobs.put(chunksThenRest(head, iterator), { maxBytes }));
}

function inline(chunks: Uint8Array[], size: number): IngestResult {
  const bytes = Buffer.concat(chunks, size);
  return { kind: 'inline', bytes, hash: sha256Hex(bytes), size };
}

function fromPut(result: BlobPutResult): IngestResult {
  if (result.kind === 'too-large') return result;
  return { kind: 'blob', hash: result.hash, size: result.size };
}

/** The chunks already read, then the rest of the same iterator (a request body cannot be
 * read twice). If the consumer stops early, the iterator is closed so the source stops too. */
async function* chunksThenRest(
  head: Uint8Array[],
  rest: AsyncIterator<Uint8Array> | null,
): AsyncGenerator<Uint8Array, void, undefined> {
  let finished = rest === null;
  try {
    yield* head;
    while (rest !== null) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await rest.next();
      } catch (error) {
        finished = true;
        throw error;
      }
      if (next.done) {
        finished = true;
        return;
      }
      yield checkChunk(next.value);
    }
  } finally {
    if (!finished) await rest?.return?.();
  }
}

function checkChunk(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`a content source yielded ${typeof value} where bytes were expected; yield Uint8Array chunks`);
}

function assertByteCount(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a whole number of bytes, 0 or more; got ${value}`);
  }
}
