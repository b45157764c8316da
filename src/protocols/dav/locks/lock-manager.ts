// The table of WebDAV write locks (RFC 4918 §6, §7). Locks live in memory in the server
// process: a restart drops them, and clients lock again. That is safe because a lock only
// coordinates writers; it holds no data, and every write is durable without it.
//
// Locks are kept per user: a token is found only among the locks of the user who took it,
// so one user can neither see, use nor release another's. A lock is rooted at a path in
// the user's DAV space ("photos/2024/beach.jpg", the decoded segments after /dav/USER/),
// and with Depth infinity it covers everything beneath its root too.
import { randomUUID } from 'node:crypto';
import type { XmlOut } from '../xml/write-xml.ts';

export type LockScope = 'exclusive' | 'shared';
export type LockDepth = 0 | 'infinity';

/** What a LOCK asks for. */
export interface LockRequest {
  /** The locked root, as decoded segments joined by "/". */
  path: string;
  /** The root's href, for lockroot and the 423 body. */
  href: string;
  scope: LockScope;
  depth: LockDepth;
  /** The client's DAV:owner element, kept verbatim; null when it sent none. */
  owner: XmlOut | null;
  /** What the lock was granted for, in seconds (after the cap). */
  timeoutSeconds: number;
}

export interface ActiveLock extends LockRequest {
  /** The lock token, a urn:uuid: URI. */
  token: string;
  /** When it expires, in milliseconds since the epoch (the manager's clock). */
  expiresAt: number;
}

export type AcquireResult =
  | { kind: 'locked'; lock: ActiveLock }
  /** An existing lock that the new one cannot share the resource with. */
  | { kind: 'conflict'; conflicting: ActiveLock }
  | { kind: 'too-many'; limit: number };

export interface LockManager {
  /** How many live locks the user holds (the write guard's fast path). */
  count(userId: number): number;
  /** The user's locks that cover the path: rooted at it, or Depth infinity above it. */
  covering(userId: number, path: string): ActiveLock[];
  /** The user's locks rooted at the path or anywhere beneath it. */
  within(userId: number, path: string): ActiveLock[];
  byToken(userId: number, token: string): ActiveLock | undefined;
  /** Grants a lock unless it conflicts with one already held; atomic. */
  acquire(userId: number, request: LockRequest): AcquireResult;
  /** Restarts the lock's timeout; undefined when the user holds no such lock. */
  refresh(userId: number, token: string, timeoutSeconds: number): ActiveLock | undefined;
  release(userId: number, token: string): boolean;
  /** Drops the locks rooted at the path and beneath it: the resource there is gone. */
  releaseWithin(userId: number, path: string): ActiveLock[];
  /** The current time of the manager's clock, for the timeouts it reports. */
  now(): number;
}

/** One user may hold this many locks at once; past it LOCK is refused (memory is finite). */
export const MAX_LOCKS_PER_USER = 1000;

export interface MemoryLockManagerOptions {
  /** The clock, in milliseconds; tests pass their own instead of sleeping. */
  now?: () => number;
  maxLocksPerUser?: number;
}

function isAtOrBelow(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

function covers(lock: ActiveLock, path: string): boolean {
  return lock.path === path || (lock.depth === 'infinity' && path.startsWith(`${lock.path}/`));
}

export function createMemoryLockManager(options: MemoryLockManagerOptions = {}): LockManager {
  const now = options.now ?? Date.now;
  const limit = options.maxLocksPerUser ?? MAX_LOCKS_PER_USER;
  const byUser = new Map<number, Map<string, ActiveLock>>();

  /** The user's live locks; expired ones are dropped on the way. */
  function live(userId: number): Map<string, ActiveLock> {
    const locks = byUser.get(userId);
    if (!locks) return new Map();
    const time = now();
    for (const [token, lock] of locks) if (lock.expiresAt <= time) locks.delete(token);
    if (locks.size === 0) byUser.delete(userId);
    return locks;
  }

  /** Users who never come back must not keep their expired locks in memory for ever; the
   * sweep runs at most once a minute, so a LOCK does not walk every user's locks. */
  let lastSweep = Number.NEGATIVE_INFINITY;
  function sweepAll(): void {
    if (now() - lastSweep < 60_000) return;
    lastSweep = now();
    for (const userId of [...byUser.keys()]) live(userId);
  }

  return {
    count: (userId) => live(userId).size,
    covering: (userId, path) => [...live(userId).values()].filter((lock) => covers(lock, path)),
    within: (userId, path) => [...live(userId).values()].filter((lock) => isAtOrBelow(lock.path, path)),
    byToken: (userId, token) => live(userId).get(token),
    acquire(userId, request) {
      sweepAll();
      const locks = live(userId);
      // A lock conflicts with those covering its root and, for Depth infinity, with those
      // beneath it; shared locks conflict only with exclusive ones.
      for (const lock of locks.values()) {
        const overlaps = covers(lock, request.path) || (request.depth === 'infinity' && isAtOrBelow(lock.path, request.path));
        if (overlaps && (lock.scope === 'exclusive' || request.scope === 'exclusive')) return { kind: 'conflict', conflicting: lock };
      }
      if (locks.size >= limit) return { kind: 'too-many', limit };
      const lock: ActiveLock = { ...request, token: `urn:uuid:${randomUUID()}`, expiresAt: now() + request.timeoutSeconds * 1000 };
      locks.set(lock.token, lock);
      byUser.set(userId, locks);
      return { kind: 'locked', lock };
    },
    refresh(userId, token, timeoutSeconds) {
      const lock = live(userId).get(token);
      if (!lock) return undefined;
      lock.timeoutSeconds = timeoutSeconds;
      lock.expiresAt = now() + timeoutSeconds * 1000;
      return lock;
    },
    release: (userId, token) => live(userId).delete(token),
    releaseWithin(userId, path) {
      const locks = live(userId);
      const released = [...locks.values()].filter((lock) => isAtOrBelow(lock.path, path));
      for (const lock of released) locks.delete(lock.token);
      return released;
    },
    now,
  };
}
