// Keeps the scrub to a byte rate so it never starves requests of disk or CPU: after each
// chunk it sleeps long enough that the average stays under the budget. Sleeping (rather
// than spinning) also hands the event loop back to requests between chunks.
import { setTimeout as sleep } from 'node:timers/promises';

export class BytePace {
  private readonly bytesPerSecond: number | null;
  private readonly started = Date.now();
  private spent = 0;

  /** null: as fast as the disk goes (the `holdfast scrub` command, run by hand). */
  constructor(bytesPerSecond: number | null) {
    this.bytesPerSecond = bytesPerSecond;
  }

  async spend(bytes: number, signal?: AbortSignal): Promise<void> {
    this.spent += bytes;
    if (this.bytesPerSecond === null) return;
    const dueMs = (this.spent / this.bytesPerSecond) * 1000;
    const waitMs = dueMs - (Date.now() - this.started);
    if (waitMs > 1) await sleep(waitMs, undefined, signal ? { signal } : undefined).catch(() => undefined);
  }
}
