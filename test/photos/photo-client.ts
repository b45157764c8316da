// Requests the photo tests make against the real server: WebDAV uploads, the library API,
// and waiting for the background indexer to look at what was uploaded.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PhotoEntry } from '../../src/photos/library-entries.ts';
import type { Harness } from '../server/harness.ts';

export async function davMkcol(server: Harness, path: string, as = server.appPassword.alice): Promise<void> {
  const response = await fetch(`${server.url}/dav/${path}`, { method: 'MKCOL', headers: { authorization: as } });
  assert.ok(response.status === 201 || response.status === 405, `MKCOL ${path}: ${response.status} ${await response.text()}`);
}

/** PUT over WebDAV, as a phone's backup app does: with a Content-Type that says nothing. */
export async function davPut(server: Harness, path: string, body: Buffer, as = server.appPassword.alice): Promise<void> {
  const response = await fetch(`${server.url}/dav/${path}`, {
    method: 'PUT',
    headers: { authorization: as, 'content-type': 'application/octet-stream' },
    body,
  });
  assert.ok(response.status === 201 || response.status === 204, `PUT ${path}: ${response.status} ${await response.text()}`);
}

export async function api(server: Harness, path: string, as = server.appPassword.alice, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, { ...init, headers: { authorization: as, ...(init.headers as Record<string, string> | undefined) } });
}

export async function apiJson<T>(server: Harness, method: string, path: string, body?: unknown, as = server.appPassword.alice): Promise<{ status: number; body: T }> {
  const response = await api(server, path, as, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

export interface LibraryPage {
  photos: PhotoEntry[];
  next: string | null;
}

export async function library(server: Harness, query = '', as = server.appPassword.alice): Promise<LibraryPage> {
  const { status, body } = await apiJson<LibraryPage>(server, 'GET', `/api/v1/photos${query}`, undefined, as);
  assert.equal(status, 200, JSON.stringify(body));
  return body;
}

/** The whole library once the indexer has looked at `count` entries (none pending). */
export async function settledLibrary(server: Harness, count: number, as = server.appPassword.alice): Promise<PhotoEntry[]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { photos } = await library(server, '?limit=500', as);
    if (photos.length === count && photos.every((p) => p.status !== 'pending')) return photos;
    if (Date.now() > deadline) assert.fail(`the library did not settle on ${count} entries: ${JSON.stringify(photos.map((p) => [p.path, p.status]))}`);
    await sleep(100);
  }
}

export async function bytesOf(response: Response): Promise<Buffer> {
  return Buffer.from(await response.arrayBuffer());
}

/** A counter's value from /metrics (0 when absent). */
export async function metric(server: Harness, line: string): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.slice(line.length + 1)) : 0;
}
