// Graceful shutdown: stop accepting, let requests in flight finish (uploads included, so
// a write the client is still sending gets its answer), close the store, and give up
// after a deadline rather than hang forever.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Store } from '../store/store.ts';
import { ApiError } from './errors.ts';

export class ShutdownTimeoutError extends Error {
  constructor(seconds: number) {
    super(`requests were still in flight after ${seconds} s; they were cut off and never acknowledged`);
    this.name = 'ShutdownTimeoutError';
  }
}

/**
 * Once closing starts, a request that arrives on a connection already open is answered
 * 503 (in the API's error format), and every response also closes its connection: a
 * keep-alive connection whose request was in flight would otherwise stay open after its
 * answer (up to the keep-alive timeout) and hold the shutdown until the deadline.
 */
export function installDrain(app: FastifyInstance): void {
  let closing = false;
  // A connection that never sent a request (a browser's preconnect; the spare one Node's
  // fetch opens after an aborted event stream) is not "idle" to Node's closeIdleConnections,
  // so it would hold the shutdown until its deadline. Nothing is in flight on it: close it.
  const unused = new Set<Socket>();
  app.server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  app.server.on('request', (request: IncomingMessage) => unused.delete(request.socket));
  app.addHook('preClose', async () => {
    closing = true;
    for (const socket of unused) socket.destroy();
  });
  app.addHook('onRequest', async () => {
    if (closing) throw new ApiError('shutting-down', 'The server is shutting down; retry in a moment.', { connection: 'close' });
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
}

function openConnections(app: FastifyInstance): Promise<number> {
  return new Promise((resolve) => app.server.getConnections((error, count) => resolve(error ? -1 : count)));
}

type Timed = 'done' | 'timed-out';

function within(work: Promise<unknown>, milliseconds: number): Promise<Timed> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Timed>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), milliseconds);
  });
  return Promise.race([work.then((): Timed => 'done'), deadline]).finally(() => clearTimeout(timer));
}

/** How long the store may take to close after requests were cut off. */
const STORE_CLOSE_GRACE_MS = 5_000;

/** Closes the server, then the store. Throws ShutdownTimeoutError after the deadline. */
export async function closeGracefully(app: FastifyInstance, store: Store, timeoutSeconds: number, log: FastifyBaseLogger): Promise<void> {
  const started = Date.now();
  const connections = await openConnections(app);
  log.info({ openConnections: connections, timeoutSeconds }, `shutting down: no new connections; letting ${connections} open connection(s) finish (up to ${timeoutSeconds} s)`);

  const appClosed = app.close();
  const work = appClosed.then(() => store.close());
  if ((await within(work, timeoutSeconds * 1000)) === 'done') {
    log.info({ seconds: (Date.now() - started) / 1000 }, 'shut down cleanly: every request was answered and the store is closed');
    return;
  }

  const left = await openConnections(app);
  log.error(
    { openConnections: left, timeoutSeconds },
    `shutdown timed out after ${timeoutSeconds} s with ${left} connection(s) still open; cutting them off. ` +
      'Their requests were not acknowledged, so no client was told a write succeeded. Raise shutdownTimeoutSeconds if large uploads need longer.',
  );
  app.server.closeAllConnections();
  // The handlers of cut-off requests now fail fast; give the store a moment to finish
  // the writes it had accepted and close cleanly.
  if ((await within(work, STORE_CLOSE_GRACE_MS)) === 'timed-out') {
    log.error(`the store did not close within ${STORE_CLOSE_GRACE_MS / 1000} s after the cut-off; exiting anyway (its log makes it safe to restart)`);
  }
  throw new ShutdownTimeoutError(timeoutSeconds);
}

/** Resolves with the first SIGTERM or SIGINT. Later ones are logged, not obeyed: the
 * shutdown already under way has its own deadline. */
export function waitForShutdownSignal(log: (message: string) => void): { signal: Promise<NodeJS.Signals>; dispose: () => void } {
  let received: NodeJS.Signals | undefined;
  let resolveSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    resolveSignal = resolve;
  });
  const onSignal = (name: NodeJS.Signals): void => {
    if (received) {
      log(`received ${name} while shutting down after ${received}; still finishing requests in flight`);
      return;
    }
    received = name;
    resolveSignal(name);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal,
    dispose: () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
