// Group commit: writes that arrive while the previous commit is being made durable are
// gathered into one transaction, so many writers share one fsync instead of queueing for
// one each. A write that throws fails alone: the others in its batch still commit. Every
// promise settles only after COMMIT has returned, which with synchronous=FULL means the
// batch is on disk.
//
// Writes are synchronous functions of the database alone, so a batch can be run again.
// It first runs without savepoints (they cost each write a statement journal); only if a
// write throws is the batch rolled back and rerun with a savepoint around each write.
import type Database from 'better-sqlite3';
import type { CommitBatch } from '../types.ts';

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export type BatchObserver = (batch: CommitBatch) => void;

/** Bounds one transaction's size, so one huge burst cannot hold the write lock for long. */
export const DEFAULT_MAX_BATCH = 512;

export class StoreClosedError extends Error {
  constructor() {
    super('the store is closing or closed and accepts no more writes');
    this.name = 'StoreClosedError';
  }
}

export class GroupCommitter {
  readonly #db: Database.Database;
  readonly #observe: BatchObserver | undefined;
  readonly #maxBatch: number;
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #closing = false;
  #drained: (() => void) | null = null;

  /** `maxBatch` 1 turns group commit off: one transaction and one fsync per write (the
   * benchmark's baseline). */
  constructor(db: Database.Database, options: { observe?: BatchObserver | undefined; maxBatch?: number | undefined } = {}) {
    this.#db = db;
    this.#observe = options.observe;
    this.#maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
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
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length > 0) this.#commit(batch);
    if (this.#queue.length > 0) this.#schedule();
    else if (this.#drained) {
      this.#drained();
      this.#drained = null;
    }
  }

  #commit(batch: PendingWrite[]): void {
    const started = performance.now();
    let outcomes: Outcome[];
    try {
      outcomes = this.#runInTransaction(batch, false) ?? this.#runInTransaction(batch, true) ?? [];
    } catch (error) {
      // The transaction itself failed (disk full, I/O error, lock timeout): nothing in
      // this batch is durable, so every write in it fails.
      this.#rollbackQuietly();
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

  /** Runs and commits the batch. Without savepoints, a write that throws rolls the whole
   * transaction back and the answer is null (run again with savepoints). Throws only if
   * the transaction itself fails. */
  #runInTransaction(batch: PendingWrite[], isolateWrites: boolean): Outcome[] | null {
    const db = this.#db;
    const outcomes: Outcome[] = [];
    db.exec('BEGIN IMMEDIATE');
    for (const write of batch) {
      if (!isolateWrites) {
        try {
          outcomes.push({ ok: true, value: write.work() });
        } catch {
          this.#rollbackQuietly();
          return null;
        }
        continue;
      }
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
    return outcomes;
  }

  #rollbackQuietly(): void {
    if (!this.#db.inTransaction) return;
    try {
      this.#db.exec('ROLLBACK');
    } catch {
      // The rollback failing too leaves SQLite to roll back from the journal on next open.
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
