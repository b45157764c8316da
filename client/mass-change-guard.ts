// The mass-change guard: a pull that would delete or overwrite more than a share of the
// replica's live items waits for the app to confirm. It counts the items pulls changed over
// a recent window as well as the pull at hand, so a mass delete that reaches the device in
// many small pulls (a live device syncs after every few revisions the server applies) is
// caught as surely as one that arrives whole. Each item counts once, however often it changed.

export interface MassChangeGuardOptions {
  /** The share of live items that may change without a pause (0.3). */
  share: number;
  /** Below this many live items the guard stays out of the way (10). */
  minItems: number;
  /** How far back changes made by earlier pulls still count (10 minutes). */
  windowMs: number;
  now?: () => number;
}

export type GuardVerdict = { pause: false } | { pause: true; deletes: number; overwrites: number };

export function createMassChangeGuard(options: MassChangeGuardOptions) {
  const now = options.now ?? Date.now;
  // item key → when a pull last changed it and whether that change deleted it
  const recent = new Map<string, { at: number; deleted: boolean }>();
  let confirmed = false;

  function forgetOld(): void {
    const since = now() - options.windowMs;
    for (const [key, change] of recent) if (change.at < since) recent.delete(key);
  }

  return {
    /**
     * changes: the live local items this pull would change, by key, and whether it deletes
     * each; liveItems: how many live items the replica holds now.
     */
    check(changes: ReadonlyMap<string, boolean>, liveItems: number): GuardVerdict {
      if (changes.size === 0 || confirmed) return { pause: false };
      forgetOld();
      const merged = new Map<string, boolean>();
      for (const [key, change] of recent) merged.set(key, change.deleted);
      for (const [key, deleted] of changes) merged.set(key, deleted);
      let deletes = 0;
      for (const deleted of merged.values()) if (deleted) deletes += 1;
      const recentDeletes = [...recent.values()].filter((change) => change.deleted).length;
      // What the replica held when the window began, near enough: items deleted since were live then.
      const baseline = liveItems + recentDeletes;
      if (baseline < options.minItems || merged.size <= options.share * baseline) return { pause: false };
      return { pause: true, deletes, overwrites: merged.size - deletes };
    },
    /** Records what an applied pull changed; a confirmed pull starts the count afresh. */
    applied(changes: ReadonlyMap<string, boolean>): void {
      if (confirmed) {
        recent.clear();
        confirmed = false;
        return;
      }
      const at = now();
      for (const [key, deleted] of changes) recent.set(key, { at, deleted });
    },
    confirm(): void {
      confirmed = true;
    },
  };
}
