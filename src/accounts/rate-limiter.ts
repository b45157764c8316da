// Sign-in rate limiting, in memory (one process; limits reset on restart, which costs an
// attacker a restart of our server they cannot cause).
//
// Two limits, each counted over a sliding window:
// - per (user name, client): guessing one user's password from one place. After
//   `maxFailuresPerName` failures the pair is refused for `firstBackoffSeconds`; every
//   further failure while the pair is still remembered doubles that, up to
//   `maxBackoffSeconds`. A success forgets the pair.
// - per client alone: trying a few common passwords against many names (spraying), which
//   the per-pair limit never sees. After `maxFailuresPerClient` failures the client is
//   refused for `clientBlockSeconds`. A success does not forgive earlier failures, or a
//   sprayer could reset the count with an account of their own.
//
// An allowed attempt counts as a failure from the moment it starts. Otherwise a burst of
// parallel guesses would all pass the check before the first slow argon2 verification had
// failed. `succeeded()` takes the count back; `abandoned()` takes it back when the attempt
// could not be judged at all (the store failed), so an outage does not lock people out.

export interface RateLimitOptions {
  /** Failures of one (user name, client) pair within `nameWindowSeconds` before the pair is refused. */
  maxFailuresPerName: number;
  nameWindowSeconds: number;
  /** The first refusal of a pair; each further failure doubles it. */
  firstBackoffSeconds: number;
  maxBackoffSeconds: number;
  /** Failures from one client, across all names, within `clientWindowSeconds` before the client is refused. */
  maxFailuresPerClient: number;
  clientWindowSeconds: number;
  clientBlockSeconds: number;
  /** How many pairs, and separately how many clients, are remembered; the least recently
   * seen are forgotten first. Bounds memory when many addresses or names are tried. */
  maxTrackedKeys: number;
}

export const DEFAULT_RATE_LIMIT: Readonly<RateLimitOptions> = {
  maxFailuresPerName: 5,
  nameWindowSeconds: 15 * 60,
  firstBackoffSeconds: 60,
  maxBackoffSeconds: 60 * 60,
  maxFailuresPerClient: 50,
  clientWindowSeconds: 15 * 60,
  clientBlockSeconds: 15 * 60,
  maxTrackedKeys: 100_000,
};

export type LoginAttempt =
  | {
      kind: 'allowed';
      /** The credentials were right: forget the pair's failures and this attempt's count. */
      succeeded: () => void;
      /** The attempt could not be judged (an I/O failure): do not count it. */
      abandoned: () => void;
    }
  | { kind: 'limited'; retryAfterSeconds: number };

export interface LoginRateLimiter {
  /** Asks to make one sign-in attempt. `userName` is null for attempts that name no user
   * (bearer tokens), which only the per-client limit covers. */
  begin(userName: string | null, clientKey: string): LoginAttempt;
}

interface PairState {
  failures: number[]; // times (ms) of recent failures, oldest first
  /** How many times this pair has been refused since it was last forgotten. */
  strikes: number;
  blockedUntil: number;
  lastFailureAt: number;
}

interface ClientState {
  failures: number[];
  blockedUntil: number;
}

// Keys come from request headers; anything longer than a valid name or an address cannot
// name a real user, so cutting them short only merges keys that would fail anyway and
// keeps memory bounded.
const MAX_NAME_KEY = 65;
const MAX_CLIENT_KEY = 128;
const SWEEP_INTERVAL_MS = 60_000;

export function createLoginRateLimiter(
  options: Partial<RateLimitOptions> = {},
  now: () => Date = () => new Date(),
): LoginRateLimiter {
  const limits: RateLimitOptions = { ...DEFAULT_RATE_LIMIT, ...options };
  const nameWindow = limits.nameWindowSeconds * 1000;
  const clientWindow = limits.clientWindowSeconds * 1000;
  // Map order is insertion order; `touch` re-inserts, so the first entries are the least
  // recently seen and are the ones evicted when a map is full.
  const pairs = new Map<string, PairState>();
  const clients = new Map<string, ClientState>();
  let lastSweep = 0;

  function pairIsForgotten(pair: PairState, t: number): boolean {
    return t >= Math.max(pair.blockedUntil, pair.lastFailureAt) + nameWindow;
  }
  function clientIsForgotten(client: ClientState, t: number): boolean {
    const last = client.failures.at(-1) ?? 0;
    return t >= Math.max(client.blockedUntil, last + clientWindow);
  }

  function sweep(t: number): void {
    if (t - lastSweep < SWEEP_INTERVAL_MS) return;
    lastSweep = t;
    for (const [key, pair] of pairs) if (pairIsForgotten(pair, t)) pairs.delete(key);
    for (const [key, client] of clients) if (clientIsForgotten(client, t)) clients.delete(key);
  }

  function begin(userName: string | null, clientKey: string): LoginAttempt {
    const t = now().getTime();
    sweep(t);
    const clientId = clientKey.slice(0, MAX_CLIENT_KEY);
    const pairId = userName === null ? null : `${userName.slice(0, MAX_NAME_KEY)}\n${clientId}`;

    let client = clients.get(clientId);
    if (client && clientIsForgotten(client, t)) client = undefined;
    let pair = pairId === null ? undefined : pairs.get(pairId);
    if (pair && pairIsForgotten(pair, t)) pair = undefined;

    const waitUntil = Math.max(client?.blockedUntil ?? 0, pair?.blockedUntil ?? 0);
    if (waitUntil > t) return { kind: 'limited', retryAfterSeconds: Math.ceil((waitUntil - t) / 1000) };

    // Count this attempt as a failure now; remember what it changed so it can be undone.
    const c: ClientState = client ?? { failures: [], blockedUntil: 0 };
    c.failures = c.failures.filter((at) => at > t - clientWindow);
    c.failures.push(t);
    const clientBlockedBefore = c.blockedUntil;
    if (c.failures.length >= limits.maxFailuresPerClient) c.blockedUntil = t + limits.clientBlockSeconds * 1000;
    const clientBlockSet = c.blockedUntil;
    touch(clients, clientId, c);
    const undoClient = (): void => {
      removeOne(c.failures, t);
      if (c.blockedUntil === clientBlockSet && c.failures.length < limits.maxFailuresPerClient) {
        c.blockedUntil = clientBlockedBefore;
      }
    };

    let undoPair = (): void => {};
    if (pairId !== null) {
      const p: PairState = pair ?? { failures: [], strikes: 0, blockedUntil: 0, lastFailureAt: 0 };
      const before = { strikes: p.strikes, blockedUntil: p.blockedUntil };
      p.failures = p.failures.filter((at) => at > t - nameWindow).slice(-limits.maxFailuresPerName);
      p.failures.push(t);
      p.lastFailureAt = t;
      // Once refused, any failure before the pair is forgotten is refused again, for longer.
      if (p.strikes > 0 || p.failures.length >= limits.maxFailuresPerName) {
        const backoff = Math.min(limits.firstBackoffSeconds * 2 ** p.strikes, limits.maxBackoffSeconds);
        p.blockedUntil = t + backoff * 1000;
        p.strikes += 1;
      }
      const pairBlockSet = p.blockedUntil;
      touch(pairs, pairId, p);
      undoPair = () => {
        removeOne(p.failures, t);
        // Only if no later attempt has changed the refusal since.
        if (p.blockedUntil === pairBlockSet) Object.assign(p, before);
      };
    }

    let settled = false;
    return {
      kind: 'allowed',
      succeeded: () => {
        if (settled) return;
        settled = true;
        undoClient();
        if (pairId !== null) pairs.delete(pairId);
      },
      abandoned: () => {
        if (settled) return;
        settled = true;
        undoClient();
        undoPair();
      },
    };
  }

  function touch<T>(map: Map<string, T>, key: string, value: T): void {
    map.delete(key);
    map.set(key, value);
    // Evicting the least recently seen entry could free a refused pair early; reaching
    // that needs more distinct (name, client) pairs than `maxTrackedKeys`, which the
    // per-client limit makes slow from any one address.
    for (const oldest of map.keys()) {
      if (map.size <= limits.maxTrackedKeys) break;
      map.delete(oldest);
    }
  }

  return { begin };
}

function removeOne(times: number[], t: number): void {
  const index = times.lastIndexOf(t);
  if (index >= 0) times.splice(index, 1);
}
