// A minimal device for the tests: speaks the sync API over real HTTP and checks every JSON
// answer against docs/sync-openapi.json.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import type { SyncRevisionJson } from '../../src/protocols/sync/sync-json.ts';
import { checkAnswer, checkRequest } from './openapi-check.ts';

// The wire shape is the server's own type; the answers are checked against the OpenAPI file.
export type RevisionJson = SyncRevisionJson;

export type ChangeJson =
  | { seq: number; type: 'collection'; collection: { id: number; path: string; kind: string; deleted: boolean } }
  | { seq: number; type: 'revision'; revision: RevisionJson; content: { base64: string } | { href: string } | null };

export interface PushResultJson {
  id: string;
  result: 'applied' | 'already-applied' | 'merged' | 'conflict' | 'refused';
  head?: RevisionJson | null;
  mergedRevisionId?: string;
  winner?: 'pushed' | 'server';
  loserRevisionId?: string;
  fields?: string[];
  reason?: string;
  message?: string;
}

export interface PushedRevisionJson {
  id: string;
  collection: { path: string; kind: string };
  item: string;
  baseRevisionId: string | null;
  deleted: boolean;
  content?: string;
  contentHash?: string;
  contentType?: string;
  author: string;
  createdAt: string;
}

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export function newRevision(
  input: Partial<PushedRevisionJson> & { item: string; content?: string; text?: string },
): PushedRevisionJson {
  const { text, ...rest } = input;
  return {
    id: randomUUID(),
    collection: { path: 'contacts', kind: 'contacts' },
    baseRevisionId: null,
    deleted: false,
    author: 'device:test',
    createdAt: new Date().toISOString(),
    ...(text !== undefined ? { content: Buffer.from(text, 'utf8').toString('base64'), contentType: 'text/vcard; charset=utf-8' } : {}),
    ...rest,
  };
}

export function syncClient(base: string, authorization: string) {
  const api = `${base}/api/v1/sync`;
  const call = async (method: string, path: string, template: string, body?: unknown) => {
    if (body !== undefined && method === 'POST') checkRequest(method, template, body);
    const response = await fetch(`${api}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json()) as Record<string, unknown>;
    checkAnswer(method, template, response.status, json);
    return { status: response.status, body: json };
  };
  const client = {
    handshake: () => call('GET', '', '/api/v1/sync'),
    pull: (cursor?: string, options: { limit?: number; collections?: number[] } = {}) => {
      const query = new URLSearchParams();
      if (cursor !== undefined) query.set('cursor', cursor);
      if (options.limit !== undefined) query.set('limit', String(options.limit));
      if (options.collections) query.set('collections', options.collections.join(','));
      return call('GET', `/changes?${query.toString()}`, '/api/v1/sync/changes');
    },
    /** Every change after `cursor`, following `more`. */
    async pullAll(cursor?: string, options: { limit?: number; collections?: number[] } = {}) {
      const changes: ChangeJson[] = [];
      let at = cursor;
      for (;;) {
        const page = await client.pull(at, options);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        changes.push(...(page.body.changes as ChangeJson[]));
        at = page.body.cursor as string;
        if (!page.body.more) return { changes, cursor: at };
      }
    },
    async push(revisions: PushedRevisionJson[]) {
      const answer = await call('POST', '/push', '/api/v1/sync/push', { revisions });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body.results as PushResultJson[];
    },
    collections: (collections: Array<{ path: string; kind: string; props: Record<string, unknown>; onlyMissing?: boolean; deleted?: boolean }>) =>
      call('POST', '/collections', '/api/v1/sync/collections', { collections }),
    missing: (revisionIds: string[]) => call('POST', '/missing', '/api/v1/sync/missing', { revisionIds }),
    conflicts: () => call('GET', '/conflicts', '/api/v1/sync/conflicts'),
    resolve: (revisionId: string, restore: boolean) =>
      call('POST', `/conflicts/${encodeURIComponent(revisionId)}/resolve`, '/api/v1/sync/conflicts/{revisionId}/resolve', { restore }),
    async content(href: string): Promise<Buffer> {
      const response = await fetch(`${base}${href}`, { headers: { authorization } });
      assert.equal(response.status, 200);
      return Buffer.from(await response.arrayBuffer());
    },
    async uploadBlob(bytes: Uint8Array, hash = sha256(bytes)) {
      const response = await fetch(`${api}/blobs/${hash}`, { method: 'PUT', headers: { authorization, 'content-type': 'application/octet-stream' }, body: bytes });
      const json = (await response.json()) as Record<string, unknown>;
      checkAnswer('PUT', '/api/v1/sync/blobs/{sha256}', response.status, json);
      return { status: response.status, body: json };
    },
  };
  return client;
}

export type SyncClient = ReturnType<typeof syncClient>;
