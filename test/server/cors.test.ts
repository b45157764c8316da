// CORS on the sync API (setting corsOrigins): a page on a listed origin may call it from a
// browser; every other origin, and every other part of the server, gets no CORS headers.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/server/config.ts';
import { startHarness, type Harness } from './harness.ts';

const APP = 'http://127.0.0.1:5173';
const OTHER = 'https://evil.example';

function preflight(url: string, origin: string, method = 'POST'): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type' },
  });
}

describe('CORS on the sync API', () => {
  let harness: Harness;
  let plain: Harness;
  before(async () => {
    harness = await startHarness({ config: { corsOrigins: [APP, 'https://app.example.com'] } });
    plain = await startHarness();
  });
  after(async () => {
    await harness.close();
    await plain.close();
  });

  it('answers a preflight from a listed origin with the methods and headers the SDK sends, without asking for sign-in', async () => {
    for (const path of ['/api/v1/sync/push', '/api/v1/sync', '/api/v1/sync/blobs/abc', '/api/v1/sync/changes?limit=5']) {
      const response = await preflight(`${harness.url}${path}`, APP);
      assert.equal(response.status, 204, path);
      assert.equal(response.headers.get('access-control-allow-origin'), APP, path);
      const methods = (response.headers.get('access-control-allow-methods') ?? '').split(/,\s*/);
      for (const method of ['GET', 'POST', 'PUT']) assert.ok(methods.includes(method), `${path}: ${method} allowed`);
      const headers = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
      assert.ok(headers.includes('authorization') && headers.includes('content-type'), `${path}: request headers allowed`);
      assert.equal(response.headers.get('access-control-allow-credentials'), null, 'no cookies: the API signs in by header');
      assert.match(response.headers.get('vary') ?? '', /Origin/);
    }
  });

  it('gives a preflight from an origin not listed no CORS headers', async () => {
    const response = await preflight(`${harness.url}/api/v1/sync/push`, OTHER);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('access-control-allow-methods'), null);
    // An origin that only differs in port or scheme is another origin.
    for (const near of ['http://127.0.0.1:5174', 'https://127.0.0.1:5173', 'http://localhost:5173']) {
      assert.equal((await preflight(`${harness.url}/api/v1/sync`, near)).headers.get('access-control-allow-origin'), null, near);
    }
  });

  it('marks the answers to a listed origin, errors included, so the page can read them', async () => {
    const ok = await fetch(`${harness.url}/api/v1/sync`, { headers: { origin: APP, authorization: harness.bearer.alice } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('access-control-allow-origin'), APP);
    const refused = await fetch(`${harness.url}/api/v1/sync`, { headers: { origin: APP, authorization: 'Bearer wrong' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), APP, 'the page can tell a refused sign-in from a network failure');
    const other = await fetch(`${harness.url}/api/v1/sync`, { headers: { origin: OTHER, authorization: harness.bearer.alice } });
    assert.equal(other.status, 200, 'CORS is for browsers to enforce: the server still answers');
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('marks the event stream too, which writes its own head', async () => {
    const controller = new AbortController();
    const stream = await fetch(`${harness.url}/api/v1/sync/events`, { headers: { origin: APP, authorization: harness.bearer.alice }, signal: controller.signal });
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /text\/event-stream/);
      assert.equal(stream.headers.get('access-control-allow-origin'), APP);
    } finally {
      controller.abort();
      await stream.body?.cancel().catch(() => undefined);
    }
  });

  it('adds nothing outside the sync API, and nothing anywhere when no origin is configured', async () => {
    for (const path of ['/api/v1/me', '/dav/', '/api/v1/synchronize']) {
      const response = await preflight(`${harness.url}${path}`, APP);
      assert.equal(response.headers.get('access-control-allow-origin'), null, path);
    }
    const response = await preflight(`${plain.url}/api/v1/sync/push`, APP);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    assert.equal(response.headers.get('access-control-allow-methods'), null);
  });
});

describe('the corsOrigins setting', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdfast-cors-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('takes a comma-separated list from the environment or a flag, and a JSON list from a config file', async () => {
    const fromEnv = await loadConfig({ flags: {}, env: { HOLDFAST_CORS_ORIGINS: 'https://app.example.com, http://127.0.0.1:5173' } });
    assert.equal(fromEnv.kind, 'ok');
    assert.deepEqual(fromEnv.kind === 'ok' && fromEnv.config.corsOrigins, ['https://app.example.com', 'http://127.0.0.1:5173']);
    const fromFlag = await loadConfig({ flags: { 'cors-origins': 'https://app.example.com' }, env: {} });
    assert.deepEqual(fromFlag.kind === 'ok' && fromFlag.config.corsOrigins, ['https://app.example.com']);
    const file = join(dir, 'config.json');
    await writeFile(file, JSON.stringify({ corsOrigins: ['https://a.example', 'https://b.example:8443'] }));
    const fromFile = await loadConfig({ flags: { config: file }, env: {} });
    assert.deepEqual(fromFile.kind === 'ok' && fromFile.config.corsOrigins, ['https://a.example', 'https://b.example:8443']);
  });

  it('refuses what is not an origin, naming where it came from', async () => {
    for (const bad of ['*', 'https://app.example.com/', 'https://app.example.com/path', 'app.example.com', 'ftp://x.example', 'https://APP.example.com', ',']) {
      const result = await loadConfig({ flags: {}, env: { HOLDFAST_CORS_ORIGINS: bad } });
      assert.equal(result.kind, 'invalid', bad);
      assert.match(result.kind === 'invalid' ? result.errors.join('\n') : '', /HOLDFAST_CORS_ORIGINS: expected a comma-separated list of origins/, bad);
    }
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ corsOrigins: [42] }));
    const result = await loadConfig({ flags: { config: file }, env: {} });
    assert.match(result.kind === 'invalid' ? result.errors.join('\n') : '', /setting "corsOrigins": expected a comma-separated list of origins/);
  });
});
