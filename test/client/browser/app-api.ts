// What the test web app (page/notes-app.ts) offers the Node test through page.evaluate:
// plain JSON in and out, bytes as base64.
export interface StoredItem {
  base64: string;
  contentType: string | null;
  headId: string;
}

export type SyncOutcome =
  | { ok: true; pushed: number; pulled: number; healed: boolean; refused: number }
  | { ok: false; name: string; message: string; status: number | null };

export interface BrowserApp {
  /** Resolves once the service worker holds the app's files, so a reload works offline. */
  ready(): Promise<void>;
  /** Opens the replica (IndexedDB database) of this name, by default the app's own. */
  open(serverUrl: string, token: string, replicaName?: string): Promise<void>;
  put(collectionPath: string, kind: string, name: string, base64: string, contentType: string): Promise<string>;
  get(collectionPath: string, name: string): Promise<StoredItem | null>;
  /** Every live item as "collection/name". */
  list(): Promise<string[]>;
  outbox(): Promise<string[]>;
  sync(): Promise<SyncOutcome>;
  /** Starts live sync (the event stream), which then syncs by itself. */
  startLive(serverUrl: string, token: string): Promise<void>;
  /** The live sync's state ('idle' once the stream is open and a sync succeeded). */
  liveState(): Promise<string | null>;
  stopLive(): Promise<void>;
  /** put(), answering how it ended instead of throwing. */
  tryPut(collectionPath: string, kind: string, name: string, base64: string, contentType: string): Promise<{ ok: true; id: string } | { ok: false; name: string; message: string }>;
}
