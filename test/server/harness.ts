// A real server for tests: a real store in a temporary directory (openStore), the real
// accounts service, real HTTP on a free port. Log lines are kept so tests can read them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import type { Accounts } from '../../src/accounts/accounts.ts';
import { buildServer } from '../../src/server/build-server.ts';
import { createCommitBatches } from '../../src/server/commit-batches.ts';
import type { HoldfastConfig } from '../../src/server/config.ts';
import { createLogger } from '../../src/server/logger.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { LockManager } from '../../src/protocols/dav/locks/lock-manager.ts';
import type { Store } from '../../src/store/store.ts';

export const PASSWORDS = { alice: 'correct horse battery staple', bob: 'a different long passphrase' } as const;

export interface Harness {
  url: string;
  store: Store;
  accounts: Accounts;
  app: FastifyInstance;
  dataDir: string;
  logs: string[];
  /** Authorization headers: Basic with an app password, and Bearer with a token. */
  appPassword: Record<keyof typeof PASSWORDS, string>;
  bearer: Record<keyof typeof PASSWORDS, string>;
  close(): Promise<void>;
}

export function basic(name: string, secret: string): string {
  return `Basic ${Buffer.from(`${name}:${secret}`, 'utf8').toString('base64')}`;
}

export function testConfig(dataDir: string, overrides: Partial<HoldfastConfig> = {}): HoldfastConfig {
  return {
    dataDir,
    host: '127.0.0.1',
    port: 0,
    storeId: undefined,
    logLevel: 'info',
    maxBodyBytes: 16 * 1024 * 1024,
    inlineLimitBytes: 64 * 1024,
    defaultQuotaBytes: undefined,
    shutdownTimeoutSeconds: 5,
    trustProxy: false,
    maxUploadBytes: 1024 ** 3,
    uploadExpiryHours: 24,
    ...overrides,
  };
}

export async function startHarness(
  options: {
    config?: Partial<HoldfastConfig>;
    wrapStore?: (store: Store) => Store;
    davLocks?: LockManager;
    indexPhotos?: boolean;
    dataDir?: string;
    syncHeartbeatMs?: number;
  } = {},
): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-server-'));
  // A given dataDir is the caller's (a restart on the same store): it is neither created nor removed here.
  const dataDir = options.dataDir ?? join(root, 'data');
  const commitBatches = createCommitBatches();
  const opened = await openStore({ dataDir, initializeIfEmpty: true, onBatch: commitBatches.observe });
  if (opened.kind !== 'opened') throw new Error(`test store refused: ${opened.reason}`);
  const store = options.wrapStore ? options.wrapStore(opened.store) : opened.store;
  const accounts = createAccounts(store.accounts);

  const appPassword = { alice: '', bob: '' };
  const bearer = { alice: '', bob: '' };
  for (const name of ['alice', 'bob'] as const) {
    const added = await accounts.addUser(name, PASSWORDS[name]);
    // On a restart over the same dataDir the users are already there.
    if (added.kind !== 'created' && !(options.dataDir && added.kind === 'name-taken')) throw new Error(`cannot add ${name}: ${added.kind}`);
    const app = await accounts.createAppPassword(name, 'test phone');
    const token = await accounts.createToken(name, 'test script');
    if (app.kind !== 'created' || token.kind !== 'created') throw new Error('cannot create credentials');
    appPassword[name] = basic(name, app.secret);
    bearer[name] = `Bearer ${token.secret}`;
  }

  const logs: string[] = [];
  const config = testConfig(dataDir, options.config);
  const app = await buildServer({
    store,
    accounts,
    config,
    commitBatches,
    indexPhotos: options.indexPhotos ?? false,
    logger: createLogger(config.logLevel, (line) => logs.push(line)),
    davLocks: options.davLocks,
    ...(options.syncHeartbeatMs !== undefined ? { syncHeartbeatMs: options.syncHeartbeatMs } : {}),
  });
  // config.port 0 (the default) takes a free port; a restart can ask for the one it had.
  const url = await app.listen({ host: '127.0.0.1', port: config.port });
  return {
    url,
    store,
    accounts,
    app,
    dataDir,
    logs,
    appPassword,
    bearer,
    async close() {
      await app.close();
      await opened.store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** fetch with a JSON body. */
export function sendJson(url: string, method: string, authorization: string, body: unknown): Promise<Response> {
  return fetch(url, { method, headers: { authorization, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}
