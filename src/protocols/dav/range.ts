// Byte ranges for GET (RFC 9110 §14): what a Range header asks for, and the verified bytes
// that answer it.
//
// One range is served as 206 Partial Content. Several ranges are answered with the whole
// content (200), which §14.2 allows and which every client handles; a Range that does not
// parse, or in another unit, is ignored the same way (§14.2: "MAY ignore").
//
// Content is never served when its hash does not match, and the hash covers the whole
// content, so a range is cut out of the verifying stream: the bytes before the range are
// read and hashed but not sent, the range is sent, and the bytes after it are read to finish
// the hash before the last piece of the range goes out. A range costs reading the whole
// content from disk, but never holding more than one chunk in memory, and a corrupt blob
// ends the response short of its Content-Length instead of completing it.

export type RangeRequest =
  /** No usable Range: answer 200 with everything. */
  | { kind: 'whole' }
  /** Bytes `start` to `end`, both inclusive. */
  | { kind: 'partial'; start: number; end: number }
  /** A byte range that starts past the end: answer 416 with `Content-Range: bytes *\/SIZE`. */
  | { kind: 'unsatisfiable' };

const BYTE_RANGES = /^\s*bytes\s*=\s*(.*)$/i;
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/** What `header` (a Range header value, if any) asks of content of `size` bytes. */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'whole' };
  const set = BYTE_RANGES.exec(header)?.[1];
  if (set === undefined) return { kind: 'whole' };
  const specs = set.split(',').map((spec) => spec.trim()).filter((spec) => spec !== '');
  if (specs.length !== 1 || specs[0] === undefined) return { kind: 'whole' };
  const match = RANGE_SPEC.exec(specs[0]);
  if (!match) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '') {
    // A suffix: the last N bytes. "-0" asks for nothing, which no content can satisfy.
    if (last === '') return { kind: 'whole' };
    const length = Number(last);
    if (length === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  // "5-3" is not a valid range-spec (§14.1.1), so the header is ignored as a whole.
  if (end < start) return { kind: 'whole' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start, end: Math.min(end, size - 1) };
}

/** The `Content-Range` of a 206. */
export function contentRangeOf(range: { start: number; end: number }, size: number): string {
  return `bytes ${range.start}-${range.end}/${size}`;
}

/**
 * Bytes `start` to `end` (inclusive) of `source`, which must be a verifying stream (it
 * errors instead of ending on a hash mismatch). The source is read to its end, and the
 * last piece of the range is held back until it has ended, so nothing completes unless the
 * whole content was verified.
 */
export async function* verifiedSlice(source: AsyncIterable<Uint8Array>, start: number, end: number): AsyncGenerator<Uint8Array, void, undefined> {
  let offset = 0;
  let held: Uint8Array | null = null;
  for await (const chunk of source) {
    const chunkStart = offset;
    offset += chunk.byteLength;
    if (offset <= start || chunkStart > end) continue;
    const piece = chunk.subarray(Math.max(0, start - chunkStart), Math.min(chunk.byteLength, end + 1 - chunkStart));
    if (held) yield held;
    held = piece;
  }
  if (offset <= end) throw new Error(`the content ended after ${offset} bytes, before the end of the range asked for (byte ${end})`);
  if (held) yield held;
}
