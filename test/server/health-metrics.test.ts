import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { json, startHarness, type Harness } from './harness.ts';

/** The store, except that its durable-write check fails as on a full or read-only disk. */
function failingWrites(store: Store): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'checkWritable') return () => Promise.reject(new Error('ENOSPC: no space left on device (simulated)'));
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function metricValue(text: string, line: RegExp): number | undefined {
  for (const row of text.split('\n')) {
    if (line.test(row)) return Number(row.slice(row.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('health and metrics', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());

  test('GET /healthz answers 200 {"status":"ok"} without signing in', async () => {
    const response = await fetch(`${server.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  test('GET /readyz answers 200 when the store can write durably', async () => {
    const response = await fetch(`${server.url}/readyz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready' });
  });

  test('GET /readyz answers 503 with the reason when the store cannot write', async () => {
    const broken = await startHarness({ wrapStore: failingWrites });
    try {
      const response = await fetch(`${broken.url}/readyz`);
      assert.equal(response.status, 503);
      const body = await json(response);
      assert.equal(body.status, 'not-ready');
      assert.match(String(body.reason), /no space left on device/);
      // Liveness does not depend on the store.
      assert.equal((await fetch(`${broken.url}/healthz`)).status, 200);
    } finally {
      await broken.close();
    }
  });

  test('GET /metrics has process metrics, requests by route pattern, the store sequence and auth failures', async () => {
    await fetch(`${server.url}/api/v1/whoami`); // no credentials: one auth failure
    await fetch(`${server.url}/api/v1/collections/notes`, {
      method: 'PUT',
      headers: { authorization: server.bearer.alice, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'notes' }),
    });
    const response = await fetch(`${server.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await response.text();

    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.equal(metricValue(text, /^holdfast_http_requests_total\{method="GET",route="\/healthz",status="200"\}/), 1);
    // Route patterns, never names from the URL.
    assert.equal(metricValue(text, /^holdfast_http_requests_total\{method="PUT",route="\/api\/v1\/collections\/:collection",status="201"\}/), 1);
    assert.doesNotMatch(text, /route="\/api\/v1\/collections\/notes"/);
    assert.match(text, /^holdfast_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz"\}/m);
    assert.equal(metricValue(text, /^holdfast_auth_failures_total\{reason="missing"\}/), 1);
    const { sequence } = await server.store.identity();
    assert.ok(sequence > 0);
    assert.equal(metricValue(text, /^holdfast_store_sequence /), sequence);
    // The PUT above and the harness's users and credentials were written in commit batches.
    const batches = metricValue(text, /^holdfast_store_commit_batch_writes_count /) ?? 0;
    assert.ok(batches >= 1, `commit batches observed: ${batches}`);
    assert.ok((metricValue(text, /^holdfast_store_commit_batch_writes_sum /) ?? 0) >= batches);
    assert.equal(metricValue(text, /^holdfast_store_commit_duration_seconds_count /), batches);
  });

  test('two servers in one process keep separate metrics', async () => {
    const other = await startHarness();
    try {
      await fetch(`${other.url}/healthz`);
      await fetch(`${other.url}/healthz`);
      await fetch(`${other.url}/healthz`);
      const mine = await (await fetch(`${server.url}/metrics`)).text();
      const theirs = await (await fetch(`${other.url}/metrics`)).text();
      assert.equal(metricValue(theirs, /^holdfast_http_requests_total\{method="GET",route="\/healthz",status="200"\}/), 3);
      assert.equal(metricValue(mine, /^holdfast_http_requests_total\{method="GET",route="\/healthz",status="200"\}/), 1);
    } finally {
      await other.close();
    }
  });

  test('each answered request is one log line; probes stay out of the info-level log', async () => {
    await fetch(`${server.url}/healthz`);
    await fetch(`${server.url}/api/v1/whoami`);
    const lines = server.logs.filter((line) => line.includes('"url":"/api/v1/whoami"') && line.includes('→ 401'));
    assert.ok(lines.length >= 1, 'the API request is logged with its status');
    assert.ok(!server.logs.some((line) => line.includes('→') && line.includes('"url":"/healthz"')), 'probes are not logged at info');
    assert.ok(!server.logs.some((line) => line.includes('incoming request')), "Fastify's own per-request lines are off");
  });

  test('an unknown path answers 404 in the error format', async () => {
    const response = await fetch(`${server.url}/nowhere`);
    assert.equal(response.status, 404);
    const body = await json(response);
    assert.equal(body.error, 'not-found');
    assert.match(String(body.message), /GET \/nowhere/);
  });
});
