// Writes that stream content in before they reach the group committer. Closing waits for
// them too: a write accepted before close() is finished, not dropped halfway.
import { StoreClosedError } from './group-commit.ts';

export class InFlightWrites {
  readonly #running = new Set<Promise<unknown>>();
  #closing = false;

  run<T>(write: () => Promise<T>): Promise<T> {
    if (this.#closing) return Promise.reject(new StoreClosedError());
    const promise = write();
    this.#running.add(promise);
    const forget = () => this.#running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Refuses new writes and waits for the running ones to settle. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.allSettled([...this.#running]);
  }
}
