// The JSON REST API under /api/v1 (docs/http-api.md): enough to use the store end to end
// before the DAV and sync protocols arrive. Every route requires sign-in.
import type { FastifyInstance, onRequestAsyncHookHandler } from 'fastify';
import type { Accounts } from '../../accounts/accounts.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { registerBlobRoutes } from './blob-routes.ts';
import { registerCollectionRoutes } from './collection-routes.ts';
import { registerHistoryRoutes } from './history-routes.ts';
import { registerItemRoutes } from './item-routes.ts';

export interface RestApiOptions {
  accounts: Accounts;
  authenticate: onRequestAsyncHookHandler;
  maxBodyBytes: number;
}

export function restApi(app: FastifyInstance, options: RestApiOptions, done: (error?: Error) => void): void {
  // Added before any route or nested scope, so every route below inherits it.
  app.addHook('onRequest', options.authenticate);
  registerAccountRoutes(app, options.accounts);
  registerCollectionRoutes(app);
  registerItemRoutes(app, { maxBodyBytes: options.maxBodyBytes });
  registerHistoryRoutes(app);
  registerBlobRoutes(app);
  done();
}
