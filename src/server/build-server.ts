// Wires the HTTP server from its parts. It takes a store that is already open and owns
// nothing it did not make: closing the app does not close the store (startServer does).
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Accounts } from '../accounts/accounts.ts';
import { createPhotoLibrary } from '../photos/photo-library.ts';
import { installPhotoMetrics } from '../photos/photo-metrics.ts';
import { answerFrameworkError } from '../protocols/dav/dav-errors.ts';
import { davPlugin } from '../protocols/dav/dav-plugin.ts';
import type { LockManager } from '../protocols/dav/locks/lock-manager.ts';
import { photoApi } from '../protocols/rest/photo-routes.ts';
import { restApi } from '../protocols/rest/routes.ts';
import { syncApi } from '../protocols/sync/sync-plugin.ts';
import type { Store } from '../store/store.ts';
import { tusUploads } from '../uploads/tus-routes.ts';
import { createAuthenticate } from './authenticate.ts';
import type { HoldfastConfig } from './config.ts';
import { installCors } from './cors.ts';
import { installErrorHandlers } from './errors.ts';
import { installHealthRoutes } from './health.ts';
import { createLogger } from './logger.ts';
import { installMetrics } from './metrics.ts';
import type { ScrubStatus } from '../scrub/scrub-status.ts';
import { HoldfastLogController, installRequestLog } from './request-log.ts';
import { installDrain } from './shutdown.ts';
import type { CommitBatches } from './commit-batches.ts';
import type { TargetLag } from '../backup/follower.ts';

export interface ServerDeps {
  store: Store;
  accounts: Accounts;
  config: HoldfastConfig;
  /** The relay the store reports its commit batches to, for /metrics. */
  commitBatches?: CommitBatches;
  /** How far each backup target is behind, for /metrics (when backup is on). */
  backupLag?: () => Promise<TargetLag[]>;
  /** What the background scrub has done, for /metrics. */
  scrubStatus?: ScrubStatus;
  /** A pino logger; by default one at config.logLevel writing JSON lines to stdout. */
  logger?: FastifyBaseLogger;
  /** The WebDAV lock table; by default a new one in memory. Tests pass one with their own clock. */
  davLocks?: LockManager;
  /** The clock unfinished uploads expire by; tests move it instead of waiting. */
  now?: () => Date;
  /** Run the photo library's background indexer (the server does; most tests need not). */
  indexPhotos?: boolean;
  /** How often sync event streams send a heartbeat; tests shorten it. */
  syncHeartbeatMs?: number;
}

// Item names are up to 255 characters; percent-encoded UTF-8 takes up to 12 per character.
const MAX_PARAM_LENGTH = 255 * 12;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { store, accounts, config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger ?? createLogger(config.logLevel),
    bodyLimit: config.maxBodyBytes,
    trustProxy: config.trustProxy,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: answerFrameworkError,
    // installDrain answers requests that arrive while closing, in the API's error format.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    logController: new HoldfastLogController(),
  });
  app.decorateRequest('user', null);
  app.decorateRequest('userStore', null);
  app.decorateRequest('signedInVia', null);

  installErrorHandlers(app, config.maxBodyBytes);
  installDrain(app);
  installRequestLog(app);
  const metrics = installMetrics(app, store, deps.commitBatches, deps.backupLag, { dataDir: config.dataDir, scrub: deps.scrubStatus });
  installHealthRoutes(app, store);
  // Before the routes, so its hook runs ahead of their sign-in.
  installCors(app, { origins: config.corsOrigins ?? [], pathPrefixes: ['/api/v1/sync'] });
  const authenticate = createAuthenticate({ store, accounts, authFailure: metrics.authFailure });
  await app.register(restApi, { prefix: '/api/v1', accounts, authenticate, maxBodyBytes: config.maxBodyBytes });
  await app.register(tusUploads, {
    prefix: '/api/v1/uploads',
    authenticate,
    dataDir: config.dataDir,
    maxUploadBytes: config.maxUploadBytes,
    expiryHours: config.uploadExpiryHours,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const photos = createPhotoLibrary({ store, dataDir: config.dataDir, log: app.log });
  installPhotoMetrics(metrics.registry, photos);
  // onClose runs once requests are answered and before startServer closes the store.
  app.addHook('onClose', () => photos.close());
  await app.register(photoApi, { prefix: '/api/v1', authenticate, photos });
  if (deps.indexPhotos) {
    photos.startIndexer();
    deps.commitBatches?.subscribe(() => photos.poke());
  }
  await app.register(syncApi, {
    prefix: '/api/v1/sync',
    authenticate,
    identity: () => store.identity(),
    dataDir: config.dataDir,
    maxBodyBytes: config.maxBodyBytes,
    maxUploadBytes: config.maxUploadBytes,
    // Without the store's commit notifications (some tests), devices are told within a second.
    onCommit: (listener) => (deps.commitBatches ? deps.commitBatches.subscribe(listener) : setInterval(listener, 1000).unref()),
    ...(deps.syncHeartbeatMs !== undefined ? { heartbeatMs: deps.syncHeartbeatMs } : {}),
  });
  await app.register(davPlugin, { authenticate, identity: () => store.identity(), maxBodyBytes: config.maxBodyBytes, locks: deps.davLocks });
  return app;
}
