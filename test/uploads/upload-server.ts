// A real server for the upload tests, like test/server/harness.ts, plus what uploads need:
// a clock the tests move (expiry without sleeping), a restart on the same data directory
// (the upload must survive it), and a files folder for alice and bob.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { buildServer } from '../../src/server/build-server.ts';
import type { HoldfastConfig } from '../../src/server/config.ts';
import { createLogger } from '../../src/server/logger.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { PASSWORDS, basic, testConfig } from '../server/harness.ts';

export interface UploadServer {
  url: string;
  dataDir: string;
  store: Store;
  logs: string[];
  /** Basic authorization headers with app passwords. */
  auth: Record<keyof typeof PASSWORDS, string>;
  userIds: Record<keyof typeof PASSWORDS, number>;
  /** Moves the server's clock forward. */
  advanceClock(ms: number): void;
  /** Stops the server and its store, and starts both again on the same data directory. */
  restart(): Promise<void>;
  /** Entries of <dataDir>/uploads: one directory per upload (unfinished, or finished and
   * remembered until it expires). */
  uploadDirs(): Promise<string[]>;
  /** Ids of a user's uploads whose bytes are still arriving. */
  unfinishedUploads(userId: number): Promise<string[]>;
  close(): Promise<void>;
}

export async function startUploadServer(config: Partial<HoldfastConfig> = {}): Promise<UploadServer> {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-uploads-'));
  const dataDir = join(root, 'data');
  let clock = Date.parse('2026-06-01T12:00:00Z');
  const logs: string[] = [];
  const auth = { alice: '', bob: '' };
  const userIds = { alice: 0, bob: 0 };

  let app: FastifyInstance;
  let store: Store;
  let url = '';
  const start = async (first: boolean) => {
    const opened = await openStore({ dataDir, initializeIfEmpty: first });
    if (opened.kind !== 'opened') throw new Error(`test store refused: ${opened.reason}`);
    store = opened.store;
    const accounts = createAccounts(store.accounts);
    if (first) {
      for (const name of ['alice', 'bob'] as const) {
        const added = await accounts.addUser(name, PASSWORDS[name]);
        if (added.kind !== 'created') throw new Error(`cannot add ${name}: ${added.kind}`);
        const password = await accounts.createAppPassword(name, 'test phone');
        if (password.kind !== 'created') throw new Error('cannot create an app password');
        auth[name] = basic(name, password.secret);
        userIds[name] = added.user.id;
        // Every new user starts with a files folder (src/store/default-collections.ts).
        if ((await store.forUser(added.user.id).getCollection('files'))?.kind !== 'files') throw new Error('the new user has no files folder');
      }
    }
    const serverConfig = testConfig(dataDir, config);
    app = await buildServer({ store, accounts, config: serverConfig, logger: createLogger('info', (line) => logs.push(line)), now: () => new Date(clock) });
    url = await app.listen({ host: '127.0.0.1', port: 0 });
  };
  const stop = async () => {
    await app.close();
    await store.close();
  };
  await start(true);

  return {
    get url() {
      return url;
    },
    dataDir,
    get store() {
      return store;
    },
    logs,
    auth,
    userIds,
    advanceClock(ms) {
      clock += ms;
    },
    async restart() {
      await stop();
      await start(false);
    },
    async uploadDirs() {
      return (await readdir(join(dataDir, 'uploads'))).sort();
    },
    async unfinishedUploads(userId) {
      const ids: string[] = [];
      for (const id of await readdir(join(dataDir, 'uploads'))) {
        const state = JSON.parse(await readFile(join(dataDir, 'uploads', id, 'state.json'), 'utf8')) as { userId: number; storedRevision: string | null };
        if (state.userId === userId && state.storedRevision === null) ids.push(id);
      }
      return ids;
    },
    async close() {
      await stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export const TUS = { 'tus-resumable': '1.0.0' } as const;

/** Upload-Metadata from plain values (each base64-encoded, as the spec wants). */
export function metadataHeader(values: Record<string, string | Buffer>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString('base64')}`)
    .join(',');
}

/** Creates an upload over plain HTTP; returns the response and the upload's URL. */
export async function createUpload(
  server: UploadServer,
  who: 'alice' | 'bob',
  length: number,
  metadata: Record<string, string>,
): Promise<{ response: Response; url: string }> {
  const response = await fetch(`${server.url}/api/v1/uploads`, {
    method: 'POST',
    headers: { ...TUS, authorization: server.auth[who], 'upload-length': String(length), 'upload-metadata': metadataHeader(metadata) },
  });
  const location = response.headers.get('location');
  return { response, url: location === null ? '' : new URL(location, server.url).href };
}

export function patch(url: string, authorization: string, offset: number, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: 'PATCH',
    headers: { ...TUS, authorization, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset), ...headers },
    body,
  });
}

export function head(url: string, authorization: string): Promise<Response> {
  return fetch(url, { method: 'HEAD', headers: { ...TUS, authorization } });
}

/** The content a DAV GET of the user's file answers. */
export async function davGet(server: UploadServer, who: 'alice' | 'bob', path: string): Promise<{ status: number; body: Buffer; type: string | null }> {
  const response = await fetch(`${server.url}/dav/${who}/${path.split('/').map(encodeURIComponent).join('/')}`, { headers: { authorization: server.auth[who] } });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), type: response.headers.get('content-type') };
}
