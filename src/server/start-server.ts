// Opens the store, builds the server and listens. The caller (the `serve` command, or a
// test) decides when to close; close() finishes requests in flight first.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createAccounts } from '../accounts/create-accounts.ts';
import { openStore } from '../store/open-store.ts';
import type { StoreIdentity } from '../store/types.ts';
import { buildServer } from './build-server.ts';
import type { HoldfastConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { closeGracefully } from './shutdown.ts';
import { createCommitBatches } from './commit-batches.ts';
import { startConfiguredBackup } from '../backup/start-backup.ts';
import type { BackupFollower } from '../backup/follower.ts';
import { withSynchronousBackup } from '../backup/synchronous.ts';
import { migrationGate } from '../backup/migration-gate.ts';
import { startDurabilityTasks } from './durability-tasks.ts';

export interface RunningServer {
  url: string;
  storeId: string;
  /** True when this start created the store (the directory was empty). */
  initialized: boolean;
  /** Stops accepting, lets requests in flight finish, closes the store. Rejects with a
   * ShutdownTimeoutError after shutdownTimeoutSeconds. */
  close(): Promise<void>;
}

/** The server could not start; the message says why and what to do. */
export class ServerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerStartError';
  }
}

function urlOf(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') return String(address);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

export function firstStartMessage(dataDir: string, identity: StoreIdentity): string {
  return (
    `Created a new, empty store ${identity.storeId} in ${dataDir}. ` +
    `Create the first user with: holdfast user add NAME --data ${dataDir}. ` +
    `Then set HOLDFAST_STORE_ID=${identity.storeId} (or --store-id ${identity.storeId}) so that if this disk is ever ` +
    'missing or not mounted, the server refuses to start instead of starting another empty store.'
  );
}

export async function startServer(config: HoldfastConfig, options: { log?: (line: string) => void } = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, options.log);
  const commitBatches = createCommitBatches();
  const opened = await openStore({
    onBatch: commitBatches.observe,
    dataDir: config.dataDir,
    expectedStoreId: config.storeId,
    inlineLimitBytes: config.inlineLimitBytes,
    defaultQuotaBytes: config.defaultQuotaBytes,
    // Only the server creates a store or upgrades its schema (after a verified safety
    // copy); the CLI never does.
    initializeIfEmpty: true,
    migrateIfOlder: true,
    // The server owns the directory: temporary files left there are from writes a crash
    // cut short, never acknowledged.
    cleanTemporaryFiles: true,
    // A schema upgrade waits for a checked copy on the backup targets (or refuses).
    beforeMigration: migrationGate(config, process.env, logger),
  });
  if (opened.kind === 'refused') {
    logger.fatal({ dataDir: config.dataDir }, `refusing to start: ${opened.reason}`);
    throw new ServerStartError(`refusing to start: ${opened.reason}`);
  }
  const { store } = opened;
  const identity = await store.identity();
  if (opened.migratedFrom !== null) {
    logger.info({ from: opened.migratedFrom, safetyCopy: opened.migrationCopy }, `migrated the store's schema from version ${opened.migratedFrom}; the copy taken before is ${opened.migrationCopy ?? 'not kept'}`);
  }

  let app: FastifyInstance | undefined;
  let backup: BackupFollower | null = null;
  let durability: Awaited<ReturnType<typeof startDurabilityTasks>> | null = null;
  try {
    backup = await startConfiguredBackup(config, store, config.dataDir, logger);
    durability = await startDurabilityTasks(config, store, logger, process.env);
    if (backup) commitBatches.subscribe(backup.notify);
    const backupLag = backup?.lag;
    // In sync mode the protocols see a store whose writes wait for the targets.
    const served = backup && config.backupMode === 'sync' ? withSynchronousBackup(store, backup) : store;
    app = await buildServer({ store: served, accounts: createAccounts(store.accounts), config, logger, commitBatches, indexPhotos: true, ...(backupLag ? { backupLag } : {}), ...(durability.scrubStatus ? { scrubStatus: durability.scrubStatus } : {}) });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app?.close();
    await durability?.stop();
    await backup?.stop();
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new ServerStartError(`port ${config.port} on ${config.host} is already in use (is another Holdfast running?); choose another with --port or HOLDFAST_PORT`);
    }
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EACCES') {
      throw new ServerStartError(`cannot listen on ${config.host}:${config.port} (${code}); check --host and --port (HOLDFAST_HOST, HOLDFAST_PORT)`);
    }
    throw error;
  }

  const url = urlOf(app.server.address());
  logger.info(
    { url, dataDir: config.dataDir, storeId: identity.storeId, generation: identity.generation, sequence: identity.sequence },
    `Holdfast listening on ${url} with store ${identity.storeId} in ${config.dataDir}`,
  );
  if (opened.initialized) {
    logger.info({ storeId: identity.storeId, dataDir: config.dataDir }, firstStartMessage(config.dataDir, identity));
  } else if (config.storeId === undefined) {
    logger.info(
      { storeId: identity.storeId },
      `No store id is configured: set HOLDFAST_STORE_ID=${identity.storeId} so the server refuses a missing or unmounted data directory.`,
    );
  }

  const running = app;
  const follower = backup;
  const tasks = durability;
  // The scrub and drills stop, and the backup's last pass runs, after the last request and
  // before the store closes.
  const storeAfterBackup = { ...store, close: async () => {
    await tasks.stop();
    await follower?.stop();
    await store.close();
  } };
  let closing: Promise<void> | undefined;
  return {
    url,
    storeId: identity.storeId,
    initialized: opened.initialized,
    close: () => (closing ??= closeGracefully(running, storeAfterBackup, config.shutdownTimeoutSeconds, logger)),
  };
}
