// A small web app for the browser test: it loads the SDK's browser bundle (/holdfast-sdk.js,
// built by scripts/build-browser-sdk.ts) at run time, as an app would, and keeps its files in
// a service worker's cache so it can be reloaded offline.
import type * as SdkModule from '../../../../client/browser.ts';
import type { BrowserApp, SyncOutcome } from '../app-api.ts';

type Sdk = typeof SdkModule;

// A variable, so the bundler leaves the SDK to be fetched separately.
const SDK_URL = '/holdfast-sdk.js';
const sdk = (await import(SDK_URL)) as Sdk;

let client: ReturnType<Sdk['createSyncClient']> | undefined;
let live: ReturnType<Sdk['startLiveSync']> | undefined;
let replica: Awaited<ReturnType<Sdk['openIndexedDbReplica']>> | undefined;

function opened() {
  if (!client || !replica) throw new Error('call open() first');
  return { client, replica };
}

const app: BrowserApp = {
  async ready() {
    await navigator.serviceWorker.register('/service-worker.js');
    await navigator.serviceWorker.ready;
  },
  async open(serverUrl, token, replicaName = 'holdfast-notes-app') {
    await replica?.close();
    replica = await sdk.openIndexedDbReplica(replicaName);
    client = sdk.createSyncClient({ serverUrl, auth: { bearer: token }, replica, deviceId: 'browser-notes-app' });
  },
  async put(collectionPath, kind, name, base64, contentType) {
    return opened().client.put(collectionPath, kind, name, sdk.fromBase64(base64), contentType);
  },
  async startLive(serverUrl, token) {
    live = sdk.startLiveSync(opened().client, { serverUrl, auth: { bearer: token }, minBackoffMs: 200, maxBackoffMs: 2000 });
  },
  async liveState() {
    return live?.status().state ?? null;
  },
  async stopLive() {
    await live?.stop();
    live = undefined;
  },
  async tryPut(collectionPath, kind, name, base64, contentType) {
    try {
      return { ok: true, id: await opened().client.put(collectionPath, kind, name, sdk.fromBase64(base64), contentType) };
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      return { ok: false, name: error.name, message: error.message };
    }
  },
  async get(collectionPath, name) {
    const item = await opened().client.get(collectionPath, name);
    return item ? { base64: sdk.toBase64(item.content ?? new Uint8Array(0)), contentType: item.contentType, headId: item.headId } : null;
  },
  async list() {
    return (await opened().client.list()).map((item) => `${item.collectionPath}/${item.name}`);
  },
  async outbox() {
    return (await opened().replica.outbox()).map((revision) => revision.id);
  },
  async sync(): Promise<SyncOutcome> {
    try {
      const report = await opened().client.syncOnce();
      return { ok: true, pushed: report.pushed, pulled: report.pulled, healed: report.healed, refused: report.refused.length };
    } catch (error) {
      if (!(error instanceof Error)) throw error;
      const status = error instanceof sdk.SyncError ? (error.status ?? null) : null;
      return { ok: false, name: error.name, message: error.message, status };
    }
  },
};

Object.assign(globalThis, { app, appLoaded: true });
