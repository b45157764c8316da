// Liveness and readiness for supervisors and load balancers. Both are open (no sign-in);
// neither says anything about users or their data.
import type { FastifyInstance } from 'fastify';
import type { Store } from '../store/store.ts';

export function installHealthRoutes(app: FastifyInstance, store: Store): void {
  // Liveness: the process answers. It does not touch the store, so a slow disk does not
  // get a healthy process restarted.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: a durable write to the metadata engine and the blob engine succeeds. A
  // full or read-only disk takes the server out of rotation instead of failing writes.
  app.get('/readyz', async (request, reply) => {
    try {
      await store.checkWritable();
      return { status: 'ready' };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      request.log.warn({ err: error }, `not ready: the store cannot write durably: ${reason}`);
      return reply.code(503).send({ status: 'not-ready', reason: `the store cannot write durably: ${reason}` });
    }
  });
}
