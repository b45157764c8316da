import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { STAGED_TTL_MS, stagedBlobs } from '../../src/sync/staged-blobs.ts';
import { sha256 } from './sync-client.ts';

async function* bytes(...chunks: string[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield Buffer.from(chunk);
}

async function readAll(source: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

describe('staged sync uploads', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'holdfast-staged-'));
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('content is kept per user, only under its own hash, and nothing is left of a refused upload', async () => {
    const staged = stagedBlobs(root);
    const hash = sha256('hello world');
    assert.deepEqual(await staged.stage(1, hash, bytes('hello ', 'world'), 1000), { kind: 'staged', size: 11 });
    assert.equal(await readAll((await staged.open(1, hash)) as AsyncIterable<Uint8Array>), 'hello world');
    assert.equal(await staged.open(2, hash), null, 'another user cannot open it');

    const wrong = await staged.stage(1, sha256('other'), bytes('hello world'), 1000);
    assert.deepEqual(wrong, { kind: 'hash-mismatch', actual: hash });
    assert.deepEqual(await staged.stage(1, sha256('too long'), bytes('too ', 'long'), 5), { kind: 'too-large', limit: 5 });
    assert.deepEqual(await readdir(join(root, '1')), [hash], 'no temporary or refused file is left');
  });

  test('the sweep removes uploads older than a day and keeps newer ones', async () => {
    const staged = stagedBlobs(root);
    const old = sha256('old');
    const fresh = sha256('fresh');
    await staged.stage(3, old, bytes('old'), 100);
    await staged.stage(3, fresh, bytes('fresh'), 100);
    const longAgo = new Date(Date.now() - STAGED_TTL_MS - 60_000);
    await utimes(join(root, '3', old), longAgo, longAgo);
    assert.equal(await staged.sweep(Date.now()), 1);
    assert.equal(await staged.open(3, old), null);
    assert.ok(await staged.open(3, fresh));
  });
});
