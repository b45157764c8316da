// Where a backup goes: a small, append-only object store (only retention deletes). The backup writes each object
// once under a name that is never reused, so a target never has to overwrite anything, and
// an object that exists is complete (a directory renames into place; S3 puts atomically).
// Both kinds pass one contract suite (test/backup/target-contract.ts).

export interface BackupObjectInfo {
  key: string;
  size: number;
}

export interface BackupTarget {
  /** How logs and messages name the target; never holds a credential. */
  readonly description: string;
  /** Stores `data` under `key` durably before resolving. An existing object is left alone
   * (append-only: names are never reused, so it holds the same bytes). */
  put(key: string, data: Uint8Array): Promise<void>;
  /** `put` for content that arrives in chunks (a large blob): memory stays flat. If the
   * source fails, nothing is stored under `key`. */
  putStream(key: string, source: AsyncIterable<Uint8Array>): Promise<void>;
  /** The object's bytes, or null if there is none. */
  get(key: string): Promise<Uint8Array | null>;
  /** Every object whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<BackupObjectInfo[]>;
  /** The object's size, or null if there is none. */
  head(key: string): Promise<BackupObjectInfo | null>;
  /** Removes the object durably before resolving; a missing one is not an error. Used only
   * by retention (retention.ts), which decides what no kept point needs; the backup itself
   * never deletes. */
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

const KEY_PATTERN = /^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/i;

/** Keys are made by the backup itself; anything else is a bug, refused before it can
 * escape a directory target ("../") or make an odd S3 name. */
export function checkKey(key: string): void {
  if (!KEY_PATTERN.test(key) || key.includes('..')) throw new Error(`not a valid backup object key: ${JSON.stringify(key)}`);
}
