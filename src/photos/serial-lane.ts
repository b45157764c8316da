// One image job at a time. Decoding and resizing a 12-megapixel photo takes a core for a
// while; on a two-core board, two at once would starve the requests. Jobs a person is
// waiting for (a thumbnail asked for over HTTP) go ahead of the background indexer's,
// and a job asked for twice (the indexer and a request, same photo) runs once.
import { setImmediate as nextTurn } from 'node:timers/promises';

export type Priority = 'interactive' | 'background';

export interface SerialLane {
  /** Runs `job` when the lane is free. A key names one job and always the same kind of
   * result: a second run with the key of a job not yet finished gets that job's promise. */
  run<T>(key: string, job: () => Promise<T>, priority: Priority): Promise<T>;
  /** Jobs waiting, not counting the one running. */
  readonly waiting: number;
  /** Resolves when nothing is running or waiting. */
  idle(): Promise<void>;
}

interface Entry {
  key: string;
  job: () => Promise<unknown>;
  priority: Priority;
  promise: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export function createSerialLane(): SerialLane {
  const queues: Record<Priority, Entry[]> = { interactive: [], background: [] };
  const byKey = new Map<string, Entry>();
  let running: Promise<void> | null = null;

  const pump = (): void => {
    if (running) return;
    const entry = queues.interactive.shift() ?? queues.background.shift();
    if (!entry) return;
    running = (async () => {
      try {
        entry.resolve(await entry.job());
      } catch (error) {
        entry.reject(error);
      } finally {
        byKey.delete(entry.key);
        // Let the event loop answer what arrived meanwhile before the next image.
        await nextTurn();
        running = null;
        pump();
      }
    })();
  };

  return {
    run<T>(key: string, job: () => Promise<T>, priority: Priority): Promise<T> {
      const existing = byKey.get(key);
      if (existing) {
        const queue = queues[existing.priority];
        if (priority === 'interactive' && existing.priority === 'background' && queue.includes(existing)) {
          queue.splice(queue.indexOf(existing), 1);
          existing.priority = 'interactive';
          queues.interactive.push(existing);
        }
        // The same key was run with the same job type (see run's contract).
        return existing.promise as Promise<T>;
      }
      let resolve: (value: T) => void = () => undefined;
      let reject: (error: unknown) => void = () => undefined;
      const promise = new Promise<T>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      const entry: Entry = { key, job, priority, promise, resolve: (value) => resolve(value as T), reject };
      byKey.set(key, entry);
      queues[priority].push(entry);
      pump();
      return promise;
    },
    get waiting() {
      return queues.interactive.length + queues.background.length;
    },
    async idle() {
      while (running || byKey.size > 0) await (running ?? nextTurn());
    },
  };
}
