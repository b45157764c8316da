// What every backup target must do, run against each kind (target-contract.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BackupTarget } from '../../src/backup/target.ts';

export function backupTargetContract(name: string, open: () => Promise<{ target: BackupTarget; cleanup: () => Promise<void> }>): void {
  const withTarget = (use: (target: BackupTarget) => Promise<void>) => async () => {
    const { target, cleanup } = await open();
    try {
      await use(target);
    } finally {
      await target.close();
      await cleanup();
    }
  };

  test(`${name}: an object put is read back byte for byte, and its size is known`, withTarget(async (target) => {
    const data = new Uint8Array([0, 1, 2, 255, 128, 10, 13]);
    await target.put('g1/segments/a.jsonl.gz', data);
    assert.deepEqual(Buffer.from((await target.get('g1/segments/a.jsonl.gz')) ?? []), Buffer.from(data));
    assert.deepEqual(await target.head('g1/segments/a.jsonl.gz'), { key: 'g1/segments/a.jsonl.gz', size: 7 });
  }));

  test(`${name}: a missing object reads as null, not as an error`, withTarget(async (target) => {
    assert.equal(await target.get('blobs/ab/nothing'), null);
    assert.equal(await target.head('blobs/ab/nothing'), null);
    assert.deepEqual(await target.list('blobs/'), []);
  }));

  test(`${name}: an empty object is kept as empty`, withTarget(async (target) => {
    await target.put('empty', new Uint8Array());
    assert.equal((await target.get('empty'))?.byteLength, 0);
  }));

  test(`${name}: list returns exactly the keys under a prefix, sorted, with their sizes`, withTarget(async (target) => {
    for (const key of ['g1/manifests/b.json', 'g1/manifests/a.json', 'g1/segments/c', 'g10/manifests/z.json', 'blobs/aa/x']) {
      await target.put(key, Buffer.from(key));
    }
    assert.deepEqual(
      (await target.list('g1/manifests/')).map((o) => [o.key, o.size]),
      [['g1/manifests/a.json', 19], ['g1/manifests/b.json', 19]],
    );
    assert.deepEqual((await target.list('g1')).map((o) => o.key), ['g1/manifests/a.json', 'g1/manifests/b.json', 'g1/segments/c', 'g10/manifests/z.json']);
    assert.equal((await target.list('')).length, 5);
  }));

  test(`${name}: append-only: a second put under the same key leaves the first object as it was`, withTarget(async (target) => {
    await target.put('holdfast-backup.json', Buffer.from('first'));
    await target.put('holdfast-backup.json', Buffer.from('second, longer'));
    assert.equal(Buffer.from((await target.get('holdfast-backup.json')) ?? []).toString(), 'first');
  }));

  test(`${name}: a key that could escape the target is refused and nothing is written`, withTarget(async (target) => {
    for (const key of ['../outside', 'a/../../b', '/absolute', 'a//b', '']) {
      await assert.rejects(target.put(key, Buffer.from('x')), /not a valid backup object key/);
    }
    assert.deepEqual(await target.list(''), []);
  }));

  test(`${name}: an object streamed in chunks, larger than one upload part, reads back whole`, withTarget(async (target) => {
    const chunks = Array.from({ length: 19 }, (_, i) => Buffer.alloc(512 * 1024 + i, i));
    async function* source() {
      for (const chunk of chunks) yield chunk;
    }
    await target.putStream('blobs/ab/streamed', source());
    const expected = Buffer.concat(chunks);
    assert.ok(expected.length > 9 * 1024 * 1024);
    assert.ok(Buffer.from((await target.get('blobs/ab/streamed')) ?? []).equals(expected));
    assert.equal((await target.head('blobs/ab/streamed'))?.size, expected.length);
  }));

  test(`${name}: a stream that fails part way stores nothing under its key`, withTarget(async (target) => {
    async function* failing() {
      for (let i = 0; i < 20; i += 1) yield Buffer.alloc(1024 * 1024, 1);
      throw new Error('the source broke');
    }
    await assert.rejects(target.putStream('blobs/cd/broken', failing()), /the source broke/);
    assert.equal(await target.head('blobs/cd/broken'), null);
    assert.deepEqual(await target.list('blobs/'), []);
  }));

  test(`${name}: delete removes exactly one object, and deleting a missing one is not an error`, withTarget(async (target) => {
    await target.put('g1/manifests/a.json', Buffer.from('a'));
    await target.put('g1/manifests/b.json', Buffer.from('b'));
    await target.delete('g1/manifests/a.json');
    assert.equal(await target.get('g1/manifests/a.json'), null);
    assert.equal(await target.head('g1/manifests/a.json'), null);
    assert.deepEqual((await target.list('g1/')).map((o) => o.key), ['g1/manifests/b.json']);
    await target.delete('g1/manifests/a.json');
    await target.delete('blobs/ab/never-there');
    await assert.rejects(target.delete('../outside'), /not a valid backup object key/);
    // A deleted name can be written again (retention never does, but nothing breaks if so).
    await target.put('g1/manifests/a.json', Buffer.from('again'));
    assert.equal(Buffer.from((await target.get('g1/manifests/a.json')) ?? []).toString(), 'again');
  }));

  test(`${name}: a large object survives the round trip`, withTarget(async (target) => {
    const data = Buffer.alloc(5 * 1024 * 1024 + 3, 7);
    data[12345] = 1;
    await target.put('blobs/7a/large', data);
    assert.ok(Buffer.from((await target.get('blobs/7a/large')) ?? []).equals(data));
  }));
}
