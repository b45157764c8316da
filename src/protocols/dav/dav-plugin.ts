// The WebDAV core (RFC 4918) under /dav/, shared by CardDAV and CalDAV, and the
// well-known discovery URLs (RFC 6764). Every /dav/ request signs in first (HTTP Basic with
// the password or an app password, as phones send it), before any body is read; a user
// reaches only their own home, and another user's is answered as if it did not exist.
//
// Request bodies are handed over unread: PUT streams them into the store, the XML methods
// read them within a limit (./request-body.ts). Errors become DAV error bodies in one
// place (./dav-errors.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { copyOrMove } from './copy-move.ts';
import { createDavErrorHandler, davError } from './dav-errors.ts';
import { DAV_ROOT } from './dav-paths.ts';
import { deleteResource, getItem, putItem } from './item-methods.ts';
import { createMemoryLockManager, type LockManager } from './locks/lock-manager.ts';
import { lockResource, unlockResource } from './locks/lock-methods.ts';
import { releaseRemovedLocks } from './locks/write-guard.ts';
import { mkcalendar, mkcol } from './mkcol.ts';
import { propfind } from './propfind.ts';
import { proppatch } from './proppatch.ts';
import { report } from './report.ts';
import type { StoreIdentityReader } from './sync-collection.ts';
import { DEFAULT_XML_LIMITS } from './xml/parse-xml.ts';

export interface DavPluginOptions {
  authenticate: onRequestAsyncHookHandler;
  /** The store's identity, for sync tokens (store metadata, not any user's data). */
  identity: StoreIdentityReader;
  /** The largest content a PUT may store (config maxBodyBytes). */
  maxBodyBytes: number;
  /** The lock table; by default a new one in memory (locks do not outlive the process). */
  locks?: LockManager;
}

/** Methods Fastify does not know by default, and whether they carry a body. */
const EXTRA_METHODS: ReadonlyArray<[string, boolean]> = [
  ['PROPFIND', true],
  ['PROPPATCH', true],
  ['MKCOL', true],
  ['MKCALENDAR', true],
  ['REPORT', true],
  ['COPY', false],
  ['MOVE', false],
  ['LOCK', true],
  ['UNLOCK', false],
];

// Class 2 is locking (./locks/); extended-mkcol is RFC 5689.
export const DAV_CLASSES = '1, 2, 3, addressbook, calendar-access, extended-mkcol';
export const ALLOWED_METHODS = 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, MKCOL, MKCALENDAR, REPORT, COPY, MOVE, LOCK, UNLOCK';

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

async function answerOptions(_request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  return reply.code(200).header('dav', DAV_CLASSES).header('allow', ALLOWED_METHODS).header('ms-author-via', 'DAV').send();
}

async function notAllowed(request: FastifyRequest): Promise<FastifyReply> {
  throw davError('method-not-allowed', `${request.method} is not a DAV method; the methods allowed are ${ALLOWED_METHODS}.`, { allow: ALLOWED_METHODS });
}

export function davPlugin(app: FastifyInstance, settings: DavPluginOptions, done: (error?: Error) => void): void {
  for (const [method, hasBody] of EXTRA_METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody });
  }
  const xmlLimit = Math.min(settings.maxBodyBytes, DEFAULT_XML_LIMITS.maxBytes);
  const errorHandler = createDavErrorHandler(settings.maxBodyBytes);
  const locks = settings.locks ?? createMemoryLockManager();

  // RFC 6764 §5: the well-known URLs point at the root, from which current-user-principal
  // leads on. They need no sign-in: a redirect reveals nothing.
  void app.register(async (wellKnown) => {
    wellKnown.setErrorHandler(errorHandler);
    for (const service of ['carddav', 'caldav']) {
      wellKnown.route({
        method: ['GET', 'HEAD', 'OPTIONS', 'PROPFIND'],
        url: `/.well-known/${service}`,
        handler: (_request, reply) => reply.code(301).header('location', DAV_ROOT).send(),
      });
    }
  });

  void app.register(async (dav) => {
    dav.setErrorHandler(errorHandler);
    dav.decorateRequest('davStoreIdentity', settings.identity);
    dav.decorateRequest('davMaxResourceBytes', settings.maxBodyBytes);
    dav.decorateRequest('davLocks', { getter: () => locks });
    dav.addHook('onRequest', settings.authenticate);
    dav.addHook('onSend', async (request, reply, payload) => {
      releaseRemovedLocks(request, reply);
      return payload;
    });
    dav.removeAllContentTypeParsers();
    dav.addContentTypeParser('*', (_request, _payload, parsed) => parsed(null));

    const propfindHandler: Handler = (request, reply) => propfind(request, reply, xmlLimit);
    const handlers: Record<string, Handler> = {
      OPTIONS: answerOptions,
      GET: getItem,
      HEAD: getItem,
      PUT: (request, reply) => putItem(request, reply, settings.maxBodyBytes),
      DELETE: deleteResource,
      PROPFIND: propfindHandler,
      PROPPATCH: (request, reply) => proppatch(request, reply, xmlLimit),
      MKCOL: (request, reply) => mkcol(request, reply, xmlLimit),
      MKCALENDAR: (request, reply) => mkcalendar(request, reply, xmlLimit),
      COPY: (request, reply) => copyOrMove(request, reply, 'COPY'),
      MOVE: (request, reply) => copyOrMove(request, reply, 'MOVE'),
      REPORT: (request, reply) => report(request, reply, xmlLimit),
      POST: notAllowed,
      PATCH: notAllowed,
      LOCK: (request, reply) => lockResource(request, reply, xmlLimit),
      UNLOCK: unlockResource,
    };
    // Discovery from the bare server URL (iOS, DAVx5): only PROPFIND, which nothing else serves there.
    dav.route({ method: 'PROPFIND', url: '/', handler: propfindHandler });
    for (const [method, handler] of Object.entries(handlers)) {
      for (const url of ['/dav', '/dav/*']) {
        // HEAD is routed explicitly above, so Fastify's automatic HEAD for GET is not wanted.
        dav.route({ method, url, handler, exposeHeadRoute: false });
      }
    }
  });
  done();
}
