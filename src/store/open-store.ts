// Opens the store that a data directory holds, initialising it on first start.
import type { Store } from './store.ts';

export interface OpenStoreOptions {
  dataDir: string;
  /** When set, the directory must hold this store: an empty or foreign directory is refused
   * (an unmounted disk must never look like "no data yet"). */
  expectedStoreId?: string | undefined;
  /** Content up to this size is kept inline in the metadata engine; larger goes to blobs. */
  inlineLimitBytes?: number;
}

export type OpenStoreResult =
  | { kind: 'opened'; store: Store; initialized: boolean; migratedFrom: number | null }
  | { kind: 'refused'; reason: string };
