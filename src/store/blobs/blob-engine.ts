// Where large content lives, addressed by its SHA-256. An engine answers a `put` only once
// the bytes are durable under their hash (temp file → fsync → rename → fsync directory for
// a local directory), so metadata committed after it never points at missing content.

export type BlobPutResult =
  | { kind: 'stored'; hash: string; size: number; existed: boolean }
  | { kind: 'too-large'; limit: number };

export interface BlobEngine {
  /** Streams content in, hashing while it streams. Memory stays flat whatever the size. */
  put(source: AsyncIterable<Uint8Array>, options?: { maxBytes?: number }): Promise<BlobPutResult>;
  has(hash: string): Promise<boolean>;
  /** Size in bytes, or null if absent. */
  size(hash: string): Promise<number | null>;
  /** Streams the content back, checking its hash as it goes: on a mismatch the stream
   * errors instead of ending, so corrupt content is never served as good. Null if absent. */
  open(hash: string): Promise<AsyncIterable<Uint8Array> | null>;
  /** Every stored hash (for integrity checks and scrub). */
  list(): AsyncIterable<string>;
  /** Removes temporary files left by writes that never finished (a crash). Returns how many. */
  cleanTemporary(): Promise<number>;
  /** Throws unless a small durable write succeeds. */
  checkWritable(): Promise<void>;
}
