// Group commit: writes that arrive while the previous commit is being made durable are
// gathered into one transaction, so many writers share one fsync instead of queueing for
// one each. Each write runs inside its own savepoint: a write that throws rolls back alone
// and the others in its batch still commit. Every promise settles only after COMMIT has
// returned, which with synchronous=FULL means the batch is on disk.
import type Database from 'better-sqlite3';
import type { CommitBatch } from '../types.ts';

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export type BatchObserver = (batch: CommitBatch) => void;

/** Bounds one transaction's size, so one huge burst cannot hold the write lock for long. */
const MAX_BATCH = 512;

export class StoreClosedError extends Error {
  constructor() {
    super('the store is closing or closed and accepts no more writes');
    this.name = 'StoreClosedError';
  }
}

export class GroupCommitter {
  readonly #db: Database.Database;
  readonly #observe: BatchObserver | undefined;
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #closing = false;
  #drained: (() => void) | null = null;

  constructor(db: Database.Database, observe?: BatchObserver) {
    this.#db = db;
    this.#observe = observe;
  }

  /** Runs `work` (synchronous SQL) in the next batch; resolves once the batch is durable. */
  run<T>(work: () => T): Promise<T> {
    if (this.#closing) return Promise.reject(new StoreClosedError());
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.#schedule();
    });
  }

  /** Refuses new writes, then waits until every accepted write has been committed. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#queue.length === 0 && !this.#scheduled) return;
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate, not a microtask: writers woken by the previous batch get to queue
    // their next write before this batch starts.
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue.splice(0, MAX_BATCH);
    if (batch.length > 0) this.#commit(batch);
    if (this.#queue.length > 0) this.#schedule();
    else if (this.#drained) {
      this.#drained();
      this.#drained = null;
    }
  }

  #commit(batch: PendingWrite[]): void {
    const db = this.#db;
    const started = performance.now();
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const write of batch) {
        db.exec('SAVEPOINT write');
        try {
          const value = write.work();
          db.exec('RELEASE write');
          outcomes.push({ ok: true, value });
        } catch (error) {
          db.exec('ROLLBACK TO write');
          db.exec('RELEASE write');
          outcomes.push({ ok: false, error });
        }
      }
      db.exec('COMMIT');
    } catch (error) {
      // The transaction itself failed (disk full, I/O error, lock timeout): nothing in
      // this batch is durable, so every write in it fails.
      if (db.inTransaction) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // The rollback failing too leaves SQLite to roll back from the journal on next open.
        }
      }
      for (const write of batch) write.reject(error);
      this.#observe?.({ writes: batch.length, failed: batch.length, durationMs: performance.now() - started });
      return;
    }
    let failed = 0;
    batch.forEach((write, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) write.resolve(outcome.value);
      else {
        failed += 1;
        write.reject(outcome?.error);
      }
    });
    this.#observe?.({ writes: batch.length, failed, durationMs: performance.now() - started });
  }
}
