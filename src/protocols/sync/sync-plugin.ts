// The JSON sync API for devices under /api/v1/sync (docs/sync.md; the OpenAPI description
// is docs/sync-openapi.json). Every route requires sign-in, like the rest of /api/v1.
import { join } from 'node:path';
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { StoreIdentity } from '../../store/types.ts';
import { createLiveChanges, type LiveChanges } from '../../sync/live-changes.ts';
import { stagedBlobs } from '../../sync/staged-blobs.ts';
import { registerCollectionRoutes } from './collection-routes.ts';
import { DEFAULT_HEARTBEAT_MS, registerEventsRoute } from './events-route.ts';
import { registerPullRoutes } from './pull-routes.ts';
import { registerPushRoutes } from './push-routes.ts';

export interface SyncApiOptions {
  authenticate: onRequestAsyncHookHandler;
  identity: () => Promise<StoreIdentity>;
  dataDir: string;
  maxBodyBytes: number;
  maxUploadBytes: number;
  /** Called with the function to run after every commit batch (the store's notifications). */
  onCommit: (listener: () => void) => void;
  heartbeatMs?: number;
}

const SWEEP_INTERVAL_MS = 3600 * 1000;

export async function syncApi(app: FastifyInstance, options: SyncApiOptions): Promise<void> {
  app.addHook('onRequest', options.authenticate);
  const staged = stagedBlobs(join(options.dataDir, 'sync-blobs'));
  const sweep = () => void staged.sweep(Date.now()).catch((error: unknown) => app.log.error({ err: error }, 'could not sweep staged sync content'));
  sweep();
  const sweeper = setInterval(sweep, SWEEP_INTERVAL_MS);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  const live: LiveChanges = createLiveChanges((error) => app.log.error({ err: error }, 'sync events: could not read the newest sequence'));
  options.onCommit(() => live.poke());

  registerPullRoutes(app, { identity: options.identity, maxBlobBytes: options.maxUploadBytes });
  registerPushRoutes(app, { staged, maxContentBytes: options.maxBodyBytes, maxBlobBytes: options.maxUploadBytes });
  registerCollectionRoutes(app);
  registerEventsRoute(app, { identity: options.identity, live, heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS });
}
