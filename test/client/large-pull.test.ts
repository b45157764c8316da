// A pull of much large content is applied a bounded batch at a time: a failure part way
// keeps what was committed, leaves the cursor where the page began, and the next sync
// fetches only the rest.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ReplicaStore } from '../../client/replica.ts';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import { createSyncClient } from '../../client/sync-client.ts';
import { startHarness, type Harness } from '../server/harness.ts';

const hash = (data: Uint8Array | null | undefined) => (data ? createHash('sha256').update(data).digest('hex') : undefined);

describe('sync client: large pulls', () => {
  let harness: Harness;
  let dir: string;
  const replicas: ReplicaStore[] = [];

  before(async () => {
    harness = await startHarness();
    dir = await mkdtemp(join(tmpdir(), 'holdfast-client-large-'));
  });
  after(async () => {
    for (const replica of replicas) await replica.close();
    await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  function device(name: string, fetch?: typeof globalThis.fetch) {
    const replica = openSqliteReplica(join(dir, `${name}.sqlite`));
    replicas.push(replica);
    const client = createSyncClient({ serverUrl: harness.url, auth: { bearer: harness.bearer.alice.replace(/^Bearer /, '') }, replica, deviceId: name, fetch });
    return { client, replica };
  }

  it('keeps the batches committed before a content fetch failed and fetches only the rest next time', async () => {
    const { client: writer } = device('large-writer');
    const photos = Array.from({ length: 5 }, () => new Uint8Array(randomBytes(3 * 1024 * 1024)));
    for (const [index, photo] of photos.entries()) await writer.put('photos', 'files', `p${index}.jpg`, photo, 'image/jpeg');
    await writer.syncOnce();

    let contentFetches = 0;
    let failAt = 4;
    const flaky: typeof globalThis.fetch = async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (url.includes('/api/v1/sync/content/')) {
        contentFetches += 1;
        if (contentFetches === failAt) throw new TypeError('fetch failed (the network went away)');
      }
      return globalThis.fetch(input, init);
    };
    const { client: reader, replica } = device('large-reader', flaky);
    await assert.rejects(reader.syncOnce(), /network went away/);
    const held = await reader.list('photos');
    assert.ok(held.length >= 2 && held.length < 5, `a batch of 8 MiB or more was committed before the failure (held ${held.length})`);
    assert.equal((await replica.getCursor())?.cursor ?? null, null, 'the cursor stays where the page began');

    failAt = 0;
    contentFetches = 0;
    const report = await reader.syncOnce();
    assert.equal(report.pulled, 5 - held.length, 'only what was missing is fetched again');
    assert.equal(contentFetches, 5 - held.length);
    for (const [index, photo] of photos.entries()) {
      assert.equal(hash((await reader.get('photos', `p${index}.jpg`))?.content), hash(photo), `p${index}.jpg is byte-identical`);
    }
  });
});
