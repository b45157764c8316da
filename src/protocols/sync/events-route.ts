// GET /api/v1/sync/events: Server-Sent Events that tell a device its user's part of the
// change log moved on, so it pulls within a moment of a change made elsewhere. Events:
//   hello    { storeId, generation, sequence, userSequence }  once, on connect
//   change   { sequence }  (id: the sequence)   each time the user's changes advance
//   shutdown {}            the server is stopping: reconnect later
// and a comment line as a heartbeat, so proxies and devices can tell a live stream.
import type { FastifyInstance } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import type { StoreIdentity } from '../../store/types.ts';
import type { LiveChanges } from '../../sync/live-changes.ts';

export const DEFAULT_HEARTBEAT_MS = 15_000;

export interface EventsOptions {
  identity: () => Promise<StoreIdentity>;
  live: LiveChanges;
  heartbeatMs: number;
}

export function registerEventsRoute(app: FastifyInstance, options: EventsOptions): void {
  const open = new Set<() => void>();
  // Before the server waits for requests to finish: an event stream never finishes by
  // itself, and must not hold the shutdown until its deadline.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  // No automatic HEAD: a stream has no end for HEAD to stop at.
  app.get('/events', { exposeHeadRoute: false }, async (request, reply) => {
    const { userStore } = signedIn(request);
    const [identity, userSequence] = await Promise.all([options.identity(), userStore.latestSequence()]);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown, id?: number) => {
      raw.write(`event: ${event}\n${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(data)}\n\n`);
    };
    send('hello', { storeId: identity.storeId, generation: identity.generation, sequence: identity.sequence, userSequence });

    const heartbeat = setInterval(() => raw.write(': heartbeat\n\n'), options.heartbeatMs);
    const unwatch = options.live.watch(userStore, userSequence, (sequence) => send('change', { sequence }, sequence));
    let ended = false;
    const cleanUp = () => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unwatch();
      open.delete(end);
    };
    const end = () => {
      if (!raw.writableEnded) {
        send('shutdown', {});
        raw.end();
      }
      cleanUp();
    };
    open.add(end);
    request.raw.on('close', cleanUp);
    raw.on('close', cleanUp);
    request.log.info({ userSequence }, 'sync events stream opened');
  });
}
