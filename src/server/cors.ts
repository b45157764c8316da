// CORS for the sync API, so a web app on another origin can run the device SDK against this
// server (setting corsOrigins). Only the listed origins get CORS headers, and only under the
// given path prefixes; with no origins listed nothing is added and browsers keep the
// same-origin rule. The API signs in with an Authorization header, never a cookie, so no
// credentials mode is allowed.
import type { FastifyInstance } from 'fastify';

/** What the sync API's routes use; a preflight for anything else gets no CORS headers. */
const METHODS = 'GET, POST, PUT, OPTIONS';
const REQUEST_HEADERS = 'Authorization, Content-Type, Last-Event-ID';
/** Browsers cache a preflight this many seconds (Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_SECONDS = '600';

export function installCors(app: FastifyInstance, settings: { origins: readonly string[]; pathPrefixes: readonly string[] }): void {
  if (settings.origins.length === 0) return;
  const allowed = new Set(settings.origins);
  const covers = (url: string) => settings.pathPrefixes.some((prefix) => url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`));

  // A root onRequest hook runs before any route's own hooks (sign-in among them): a preflight
  // carries no credentials and is answered here, and every other answer, errors included,
  // carries the headers so the page can read it. They go on the raw response so that a route
  // that writes its own head (the event stream hijacks its reply) sends them too.
  app.addHook('onRequest', async (request, reply) => {
    if (!covers(request.url)) return;
    // The answer depends on Origin: caches must keep one per origin.
    reply.raw.setHeader('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !allowed.has(origin)) return;
    reply.raw.setHeader('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      return reply
        .code(204)
        .header('access-control-allow-methods', METHODS)
        .header('access-control-allow-headers', REQUEST_HEADERS)
        .header('access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS)
        .send();
    }
  });
}
