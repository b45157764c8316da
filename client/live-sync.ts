// Keeps a device in sync by itself: follows the server's event stream (GET /api/v1/sync/events,
// docs/sync.md "Live changes") and runs syncOnce() when the stream opens, when it says
// `change`, after local writes and at least every pollIntervalMs; when the stream or a sync
// fails it waits (exponential backoff with jitter) and connects again. Only web-platform APIs
// (fetch, streams, timers), so it runs in a browser as on Node.
import { readEventStream } from './event-stream.ts';
import { utf8ToBase64 } from './portable.ts';
import { SyncError, type SyncAuth, type SyncClient, type SyncReport } from './sync-client.ts';

export interface LiveSyncOptions {
  serverUrl: string;
  auth: SyncAuth;
  fetch?: typeof globalThis.fetch;
  /** The first wait after a failure (default 1000). */
  minBackoffMs?: number;
  /** The longest wait between attempts (default 60000). */
  maxBackoffMs?: number;
  /** A full sync at least this often even without events (default 300000). */
  pollIntervalMs?: number;
}

export type LiveStatus = {
  state: 'starting' | 'connected' | 'syncing' | 'idle' | 'offline' | 'paused' | 'stopped';
  lastSyncAt: string | null;
  lastError: string | null;
  nextRetryAt: string | null;
  /** Local revisions waiting in the outbox. */
  pending: number;
};

export interface LiveSync {
  /** Closes the stream, clears every timer and waits for a running sync to finish. */
  stop(): Promise<void>;
  status(): LiveStatus;
  /** A sync now (queued behind a running one); when offline and it succeeds, the stream reconnects at once. */
  syncNow(): Promise<SyncReport>;
  on(event: 'status', listener: (status: LiveStatus) => void): () => void;
}

// The server sends a heartbeat every 15 s: three missed means the stream is dead even if the
// connection never said so (a sleeping laptop, a proxy that dropped it).
const STALL_MS = 45_000;

type Timer = ReturnType<typeof setTimeout>;

class StreamStalled extends Error {
  constructor() {
    super(`the event stream was silent for ${STALL_MS / 1000} s`);
  }
}

function authorizationOf(auth: SyncAuth): string {
  return 'bearer' in auth ? `Bearer ${auth.bearer}` : `Basic ${utf8ToBase64(`${auth.basic.user}:${auth.basic.password}`)}`;
}

function refusedCredentials(error: unknown): error is SyncError {
  return error instanceof SyncError && (error.status === 401 || error.status === 403);
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch's "fetch failed" says little; its cause (ECONNREFUSED, a DNS failure) says what.
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}`);
  return value;
}

export function startLiveSync(client: SyncClient, options: LiveSyncOptions): LiveSync {
  const doFetch = options.fetch ?? globalThis.fetch;
  const eventsUrl = `${options.serverUrl.replace(/\/+$/, '')}/api/v1/sync/events`;
  const authorization = authorizationOf(options.auth);
  const minBackoff = positive('minBackoffMs', options.minBackoffMs ?? 1000);
  const maxBackoff = Math.max(minBackoff, positive('maxBackoffMs', options.maxBackoffMs ?? 60_000));
  const pollInterval = positive('pollIntervalMs', options.pollIntervalMs ?? 300_000);

  const listeners = new Set<(status: LiveStatus) => void>();
  let status: LiveStatus = { state: 'starting', lastSyncAt: null, lastError: null, nextRetryAt: null, pending: 0 };
  let ended = false; // stop() was called, or the server refused the credentials
  let stopping: Promise<void> | null = null;
  let stream: AbortController | null = null;
  let streamOpen = false; // the current stream said hello
  let identity: string | null = null; // store id and generation from the last hello
  let failures = 0;
  let paused = false;
  let retry: { timer: Timer; wake: () => void } | null = null;
  let poll: Timer | null = null;
  let running: Promise<SyncReport> | null = null;
  let queued: Promise<SyncReport> | null = null;

  function update(change: Partial<LiveStatus>): void {
    status = { ...status, ...change };
    for (const listener of [...listeners]) listener(status);
  }

  const restingState = (): LiveStatus['state'] => (ended ? 'stopped' : !streamOpen ? 'offline' : paused ? 'paused' : 'idle');

  function refreshPending(): void {
    client.pending().then(
      (pending) => {
        if (!ended && pending !== status.pending) update({ pending });
      },
      () => undefined, // a replica closed under us: the next sync reports the outbox
    );
  }

  function armPoll(): void {
    if (poll) clearTimeout(poll);
    poll = ended
      ? null
      : setTimeout(() => {
          poll = null;
          if (streamOpen && !paused) void requestSync().catch(() => undefined);
          else armPoll();
        }, pollInterval);
  }

  function halt(error: SyncError): void {
    ended = true;
    clearTimers();
    stream?.abort(error);
    update({
      state: 'stopped',
      nextRetryAt: null,
      lastError: `the server refused this device's credentials (HTTP ${error.status}): check the user name and app password or token it signs in with, then start live sync again`,
    });
  }

  function clearTimers(): void {
    if (poll) clearTimeout(poll);
    poll = null;
    retry?.wake();
  }

  async function runSync(): Promise<SyncReport> {
    update({ state: 'syncing' });
    try {
      const report = await client.syncOnce();
      failures = 0;
      paused = report.paused !== undefined;
      const pending = await client.pending();
      armPoll();
      update({
        state: restingState(),
        lastSyncAt: new Date().toISOString(),
        lastError: report.paused
          ? `sync paused: the pull would delete ${report.paused.deletes} and overwrite ${report.paused.overwrites} local items; call confirmMassChange() on the client and syncNow() to apply it`
          : null,
        pending,
      });
      return report;
    } catch (error) {
      if (refusedCredentials(error)) halt(error);
      // The stream's follower goes offline and retries with backoff; without a stream it already is.
      else if (stream) stream.abort(error);
      else update({ state: restingState(), lastError: messageOf(error) });
      throw error;
    }
  }

  /** At most one sync runs and one waits: a burst of triggers becomes two syncs, not many. */
  function requestSync(): Promise<SyncReport> {
    if (ended) return Promise.reject(new Error('live sync is stopped: start it again to sync'));
    if (!running) {
      running = runSync().finally(() => {
        running = null;
      });
      return running;
    }
    queued ??= running.then(
      () => {
        queued = null;
        return requestSync();
      },
      (error: unknown) => {
        queued = null; // the failure already started a retry with backoff
        throw error;
      },
    );
    return queued;
  }

  function onHello(data: string): void {
    streamOpen = true;
    let seen: string | null = null;
    try {
      const hello = JSON.parse(data) as { storeId?: unknown; generation?: unknown };
      seen = `${String(hello.storeId)}/${String(hello.generation)}`;
    } catch {
      // A hello we cannot read still opens the stream; the sync's handshake checks the identity.
    }
    const otherServer = seen !== identity;
    identity = seen;
    update({ state: 'connected', nextRetryAt: null });
    // Changes made while disconnected are not replayed on the stream: the cursor catches up.
    // A paused pull waits for the user, unless the server is another one (heal) or the outbox waits.
    if (!paused || otherServer || status.pending > 0) void requestSync().catch(() => undefined);
    else update({ state: 'paused' });
  }

  async function followStream(): Promise<void> {
    const controller = new AbortController();
    stream = controller;
    let stall: Timer | null = null;
    const armStall = () => {
      if (stall) clearTimeout(stall);
      stall = setTimeout(() => controller.abort(new StreamStalled()), STALL_MS);
    };
    try {
      armStall();
      const response = await doFetch(eventsUrl, { headers: { authorization, accept: 'text/event-stream' }, signal: controller.signal });
      if (!response.ok || !response.body) {
        const text = await response.text().catch(() => '');
        throw new SyncError(`the event stream failed: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
      }
      for await (const event of readEventStream(response.body, armStall)) {
        if (event.event === 'hello') onHello(event.data);
        else if (event.event === 'change' && !paused) void requestSync().catch(() => undefined);
        else if (event.event === 'shutdown') return;
      }
    } catch (error) {
      // An abort carries its reason: a failed sync, a stall, or stop().
      throw controller.signal.aborted ? controller.signal.reason : error;
    } finally {
      if (stall) clearTimeout(stall);
      streamOpen = false;
      if (stream === controller) stream = null;
    }
  }

  function backoff(): number {
    const ceiling = Math.min(maxBackoff, minBackoff * 2 ** Math.min(failures, 30));
    return Math.min(maxBackoff, Math.max(minBackoff, ceiling / 2 + (Math.random() * ceiling) / 2));
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        retry = null;
        resolve();
      }, ms);
      retry = {
        timer,
        wake: () => {
          clearTimeout(timer);
          retry = null;
          resolve();
        },
      };
    });
  }

  async function follow(): Promise<void> {
    while (!ended) {
      let failure: unknown = null;
      try {
        await followStream();
      } catch (error) {
        failure = error;
      }
      if (ended) return;
      if (refusedCredentials(failure)) return halt(failure);
      failures += 1;
      const delay = backoff();
      update({
        state: 'offline',
        lastError: failure === null ? 'the server closed the event stream' : messageOf(failure),
        nextRetryAt: new Date(Date.now() + delay).toISOString(),
      });
      await sleep(delay);
      if (!ended) update({ nextRetryAt: null });
    }
  }

  const unsubscribe = client.on('changed', () => {
    if (ended) return;
    refreshPending();
    // Offline, the outbox waits for the reconnect (a write must not cut the backoff short).
    if (streamOpen) void requestSync().catch(() => undefined);
  });
  refreshPending();
  const following = follow();

  return {
    stop() {
      stopping ??= (async () => {
        ended = true;
        unsubscribe();
        clearTimers();
        stream?.abort(new Error('live sync stopped'));
        await following;
        await Promise.allSettled([running, queued]);
        update({ state: 'stopped', nextRetryAt: null });
      })();
      return stopping;
    },
    status: () => status,
    async syncNow() {
      const report = await requestSync();
      // The server answers again: connect now rather than at the end of the backoff.
      if (!streamOpen) retry?.wake();
      return report;
    },
    on(_event: 'status', listener: (status: LiveStatus) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
