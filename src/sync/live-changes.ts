// Tells connected devices that their user's part of the change log moved on. Woken by the
// store's commit batches; each wake-up asks each watched user's newest sequence once, however
// many devices that user has connected, and tells their listeners only if it advanced.
import type { UserStore } from '../store/store.ts';

type Listener = (sequence: number) => void;

interface Watched {
  userStore: UserStore;
  sequence: number;
  listeners: Set<Listener>;
}

export interface LiveChanges {
  /** Calls `listener` with each new sequence of this user's after `since`. Returns the unwatch. */
  watch(userStore: UserStore, since: number, listener: Listener): () => void;
  /** Something was committed: look again (coalesced). */
  poke(): void;
  readonly watchers: number;
}

export function createLiveChanges(onError: (error: unknown) => void): LiveChanges {
  const users = new Map<number, Watched>();
  let scheduled = false;
  let running = false;
  let again = false;

  const check = async (): Promise<void> => {
    running = true;
    try {
      for (const watched of users.values()) {
        const sequence = await watched.userStore.latestSequence();
        if (sequence <= watched.sequence) continue;
        watched.sequence = sequence;
        for (const listener of watched.listeners) listener(sequence);
      }
    } catch (error) {
      onError(error);
    } finally {
      running = false;
      if (again) {
        again = false;
        schedule();
      }
    }
  };

  function schedule(): void {
    if (running) {
      again = true;
      return;
    }
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void check();
    });
  }

  return {
    watch(userStore, since, listener) {
      const watched = users.get(userStore.userId) ?? { userStore, sequence: since, listeners: new Set<Listener>() };
      watched.sequence = Math.min(watched.sequence, since);
      watched.listeners.add(listener);
      users.set(userStore.userId, watched);
      // A write may have landed between the caller reading `since` and this watch.
      schedule();
      return () => {
        watched.listeners.delete(listener);
        if (watched.listeners.size === 0) users.delete(userStore.userId);
      };
    },
    poke: schedule,
    get watchers() {
      let count = 0;
      for (const watched of users.values()) count += watched.listeners.size;
      return count;
    },
  };
}
