// docs/sync-openapi.json and docs/sync.md are checked against the server, so neither can
// describe an endpoint or a refusal the code does not have, or miss one it does.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { syncApi } from '../../src/protocols/sync/sync-plugin.ts';
import { REFUSAL_REASONS } from '../../src/sync/push.ts';
import { OPENAPI_PATHS } from './openapi-check.ts';

const docsDir = new URL('../../docs/', import.meta.url);

describe('sync docs', () => {
  const syncRoutes: string[] = [];
  before(async () => {
    // The plugin on its own, to see exactly the routes it registers.
    const app = Fastify();
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) if (method !== 'HEAD') syncRoutes.push(`${method} ${route.url}`);
    });
    await app.register(syncApi, {
      prefix: '/api/v1/sync',
      authenticate: async () => undefined,
      identity: async () => ({ storeId: 'test', generation: 1, sequence: 0 }),
      dataDir: join(tmpdir(), 'holdfast-sync-docs-test-never-written'),
      maxBodyBytes: 1024,
      maxUploadBytes: 1024,
      onCommit: () => undefined,
    });
    await app.ready();
    await app.close();
  });

  test('every sync route the server has is in the OpenAPI file, and every path there is served', async () => {
    const openapi = JSON.parse(await readFile(new URL('sync-openapi.json', docsDir), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const described = Object.entries(openapi.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    assert.ok(syncRoutes.length >= 8, `found routes: ${syncRoutes.join(', ')}`);
    const normalise = (route: string) => route.replace(/\/$/, '');
    assert.deepEqual([...new Set(syncRoutes.map(normalise))].sort(), [...described].sort());
    assert.equal(OPENAPI_PATHS.length, Object.keys(openapi.paths).length);
  });

  test('docs/sync.md names every endpoint and every refusal reason, and the OpenAPI file every reason', async () => {
    const doc = await readFile(new URL('sync.md', docsDir), 'utf8');
    const openapi = await readFile(new URL('sync-openapi.json', docsDir), 'utf8');
    for (const path of OPENAPI_PATHS) {
      const shown = path.replace(/\{revisionId\}/, 'REVISION').replace(/\{sha256\}/, 'SHA256');
      assert.ok(doc.includes(shown), `docs/sync.md does not mention ${shown}`);
    }
    for (const reason of REFUSAL_REASONS) {
      assert.ok(doc.includes(`\`${reason}\``), `docs/sync.md does not explain the refusal ${reason}`);
      assert.ok(openapi.includes(`"${reason}"`), `the OpenAPI file does not list the refusal ${reason}`);
    }
  });
});
