// One log line per answered request (Fastify's own two lines per request are off), and
// probes (/healthz, /readyz, /metrics, polled every few seconds) only at debug level, so
// the log shows what users did rather than what the load balancer did.
import { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Fastify's request logging, minus the lines installRequestLog replaces. */
export class HoldfastLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ err: error }, `${request.method} ${request.url} failed while its answer was being sent`);
  }

  // An answer that fails after its headers went out is usually stored content that failed
  // its hash check or went missing: the client got a cut-off answer, and the data needs a
  // restore. Fastify logs this at warn; here it is an error, loud enough to be seen.
  override streamError(error: Error, request: FastifyRequest, reply: FastifyReply): void {
    if ((error as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
      reply.log.info(`${request.method} ${request.url}: the client stopped reading the answer`);
      return;
    }
    reply.log.error({ err: error }, `${request.method} ${request.url}: the answer was cut off after its headers were sent: ${error.message}`);
  }
}

export function installRequestLog(app: FastifyInstance): void {
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const entry = {
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      clientAddress: request.ip,
    };
    const message = `${request.method} ${request.url} → ${reply.statusCode}`;
    if (PROBES.has(request.routeOptions.url ?? '')) request.log.debug(entry, message);
    else request.log.info(entry, message);
  });

  // The client hung up before the answer: nothing was acknowledged to it, and a write in
  // progress was abandoned by the store. Worth a line, not an alarm.
  app.addHook('onRequestAbort', async (request: FastifyRequest) => {
    request.log.info(
      { method: request.method, url: request.url, clientAddress: request.ip },
      `${request.method} ${request.url}: the client closed the connection before the answer; nothing was acknowledged`,
    );
  });
}

/** True when the error only says the client went away (so there is no one to answer). */
export function isClientAbort(request: FastifyRequest, error: unknown): boolean {
  if (request.raw.socket.destroyed || request.raw.aborted) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE';
}
