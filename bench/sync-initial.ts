// bench:sync, part one: a new device's first sync of an account that holds N contacts and M
// photos, with the Node SDK and its SQLite replica, next to baselines measured in the same run
// on the same server: the same pull pages and content fetched with bare fetch (no SDK), and
// the same rows inserted straight into a SQLite table.
//
// A pull carries each revision's metadata, with small content (the vCards) inline; larger
// content (the photos) is fetched by its href, one at a time, which the SDK does inside the
// same syncOnce(). Both parts are timed separately: the SDK's share by timing its requests.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ReplicaStore } from '../client/replica.ts';
import { openSqliteReplica } from '../client/replica-sqlite.ts';
import { createSyncClient } from '../client/sync-client.ts';
import type { BenchServer } from './dav-server.ts';

interface Change {
  type: string;
  revision?: { id: string; collectionPath: string | null; itemName: string };
  content?: { base64: string } | { href: string } | null;
}

export interface BarePull {
  pagesMs: number;
  pageBytes: number;
  pages: number;
  contentMs: number;
  contentBytes: number;
  hrefs: number;
  rows: { id: string; collection: string; item: string; content: Uint8Array | null }[];
}

/** Every page from no cursor, then every href, with bare fetch: what moving the data costs. */
export async function barePull(server: BenchServer): Promise<BarePull> {
  const headers = { authorization: server.authorization };
  const result: BarePull = { pagesMs: 0, pageBytes: 0, pages: 0, contentMs: 0, contentBytes: 0, hrefs: 0, rows: [] };
  const hrefs: { row: BarePull['rows'][number]; href: string }[] = [];
  let cursor: string | null = null;
  let started = performance.now();
  for (;;) {
    const query = new URLSearchParams({ limit: '1000' });
    if (cursor) query.set('cursor', cursor);
    const response = await fetch(`${server.url}/api/v1/sync/changes?${query.toString()}`, { headers });
    const text = await response.text();
    if (!response.ok) throw new Error(`bare pull: HTTP ${response.status} ${text.slice(0, 200)}`);
    result.pageBytes += Buffer.byteLength(text);
    result.pages += 1;
    const page = JSON.parse(text) as { changes: Change[]; more: boolean; cursor: string };
    for (const change of page.changes) {
      if (change.type !== 'revision' || !change.revision) continue;
      const row = { id: change.revision.id, collection: change.revision.collectionPath ?? '', item: change.revision.itemName, content: null as Uint8Array | null };
      if (change.content && 'base64' in change.content) row.content = Buffer.from(change.content.base64, 'base64');
      else if (change.content) hrefs.push({ row, href: change.content.href });
      result.rows.push(row);
    }
    cursor = page.cursor;
    if (!page.more) break;
  }
  result.pagesMs = performance.now() - started;
  started = performance.now();
  for (const { row, href } of hrefs) {
    const response = await fetch(`${server.url}${href}`, { headers });
    if (!response.ok) throw new Error(`bare content fetch: HTTP ${response.status}`);
    row.content = new Uint8Array(await response.arrayBuffer());
    result.contentBytes += row.content.byteLength;
    result.hrefs += 1;
  }
  result.contentMs = performance.now() - started;
  return result;
}

/** The floor for storing the same rows: one table, one transaction, the replica's durability settings. */
export function sqliteInsert(file: string, rows: BarePull['rows']): number {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE rows (id TEXT PRIMARY KEY, collection TEXT NOT NULL, item TEXT NOT NULL, content BLOB)');
    const insert = db.prepare('INSERT INTO rows (id, collection, item, content) VALUES (?, ?, ?, ?)');
    const started = performance.now();
    db.transaction(() => {
      for (const row of rows) insert.run(row.id, row.collection, row.item, row.content);
    })();
    return performance.now() - started;
  } finally {
    db.close();
  }
}

/** The replica with the time spent in each of its methods added up by name. */
function timedReplica(replica: ReplicaStore, spent: Map<string, number>): ReplicaStore {
  return new Proxy(replica, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        } finally {
          spent.set(String(key), (spent.get(String(key)) ?? 0) + performance.now() - started);
        }
      };
    },
  });
}

export interface SdkSync {
  totalMs: number;
  pagesMs: number;
  contentMs: number;
  otherRequestsMs: number;
  /** Time in the replica's applyPull (the one transaction that stores the pull). */
  commitMs: number;
  /** Time in the replica's other calls during the sync (reads while planning, the guard's count). */
  replicaReadsMs: number;
  pulled: number;
  items: number;
}

/** A new device's first syncOnce(), its requests timed by kind (each to its last body byte). */
export async function sdkInitialSync(server: BenchServer, dir: string, name: string): Promise<SdkSync> {
  const spent = { pages: 0, content: 0, other: 0 };
  const timedFetch: typeof fetch = async (input, init) => {
    const started = performance.now();
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const kind = url.includes('/sync/changes') ? 'pages' : url.includes('/sync/content/') ? 'content' : 'other';
    spent[kind] += performance.now() - started;
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  const file = join(dir, `${name}.sqlite`);
  const replicaSpent = new Map<string, number>();
  const replica = timedReplica(openSqliteReplica(file), replicaSpent);
  try {
    const client = createSyncClient({
      serverUrl: server.url,
      auth: { basic: { user: server.userName, password: server.appPassword } },
      replica,
      deviceId: name,
      fetch: timedFetch,
    });
    const started = performance.now();
    const report = await client.syncOnce();
    const totalMs = performance.now() - started;
    const commitMs = replicaSpent.get('applyPull') ?? 0;
    const replicaReadsMs = [...replicaSpent.values()].reduce((sum, ms) => sum + ms, 0) - commitMs;
    const items = (await client.list()).length;
    return { totalMs, pagesMs: spent.pages, contentMs: spent.content, otherRequestsMs: spent.other, commitMs, replicaReadsMs, pulled: report.pulled, items };
  } finally {
    await replica.close();
    await rm(file, { force: true });
    await rm(`${file}-wal`, { force: true });
    await rm(`${file}-shm`, { force: true });
  }
}
