// The store is opened before the server and its metrics exist, so its commit batches are
// reported to this relay, which the metrics subscribe to once they are made.
import type { CommitBatch } from '../store/types.ts';

export interface CommitBatches {
  /** Pass as openStore's onBatch (a function property, so it can be passed alone). */
  observe: (batch: CommitBatch) => void;
  subscribe: (listener: (batch: CommitBatch) => void) => void;
}

export function createCommitBatches(): CommitBatches {
  const listeners: Array<(batch: CommitBatch) => void> = [];
  return {
    observe(batch) {
      for (const listener of listeners) listener(batch);
    },
    subscribe(listener) {
      listeners.push(listener);
    },
  };
}
