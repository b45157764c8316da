import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BlobEngine } from '../../src/store/blobs/blob-engine.ts';
import { openLocalDirectoryBlobs } from '../../src/store/blobs/local-directory.ts';
import { ingestContent, sha256Hex } from '../../src/store/content.ts';
import { chunked, deterministicBytes, listAll, readAll, sha256, trackedSource } from './blob-engine-contract.ts';

const LIMIT = 1024;

void describe('ingestContent', () => {
  let scratch: string;
  let counter = 0;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'holdfast-content-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });
  const freshBlobs = (): Promise<BlobEngine> => openLocalDirectoryBlobs(join(scratch, `blobs-${++counter}`));

  void it('sha256Hex names bytes by their SHA-256 in lowercase hex', () => {
    assert.equal(sha256Hex(new Uint8Array(0)), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  for (const [label, makeSource] of sourceKinds()) {
    void describe(`from ${label}`, () => {
      void it('content exactly at the inline limit stays inline and touches no blob', async () => {
        const blobs = await freshBlobs();
        const bytes = deterministicBytes(LIMIT, 1);
        const result = await ingestContent(makeSource(bytes), blobs, { inlineLimitBytes: LIMIT });
        assert.equal(result.kind, 'inline');
        assert.ok(result.bytes.equals(bytes));
        assert.equal(result.hash, sha256(bytes));
        assert.equal(result.size, LIMIT);
        assert.deepEqual(await listAll(blobs), []);
      });

      void it('content one byte over the inline limit goes to the blob engine whole', async () => {
        const blobs = await freshBlobs();
        const bytes = deterministicBytes(LIMIT + 1, 2);
        const result = await ingestContent(makeSource(bytes), blobs, { inlineLimitBytes: LIMIT });
        assert.deepEqual(result, { kind: 'blob', hash: sha256(bytes), size: LIMIT + 1 });
        assert.ok((await readAll(blobs, sha256(bytes))).equals(bytes));
      });

      void it('empty content is inline', async () => {
        const blobs = await freshBlobs();
        const result = await ingestContent(makeSource(new Uint8Array(0)), blobs, { inlineLimitBytes: LIMIT });
        assert.equal(result.kind, 'inline');
        assert.equal(result.size, 0);
        assert.equal(result.hash, sha256(new Uint8Array(0)));
      });

      void it('maxBytes is enforced on content small enough to be inline', async () => {
        const blobs = await freshBlobs();
        const result = await ingestContent(makeSource(deterministicBytes(100, 3)), blobs, {
          inlineLimitBytes: LIMIT,
          maxBytes: 99,
        });
        assert.deepEqual(result, { kind: 'too-large', limit: 99 });
        assert.deepEqual(await listAll(blobs), []);
      });

      void it('maxBytes is enforced on content bound for the blob engine, and nothing is stored', async () => {
        const blobs = await freshBlobs();
        const result = await ingestContent(makeSource(deterministicBytes(300_000, 4)), blobs, {
          inlineLimitBytes: LIMIT,
          maxBytes: 200_000,
        });
        assert.deepEqual(result, { kind: 'too-large', limit: 200_000 });
        assert.deepEqual(await listAll(blobs), []);
        assert.equal(await blobs.cleanTemporary(), 0);
      });

      void it('content exactly at maxBytes is accepted', async () => {
        const blobs = await freshBlobs();
        const bytes = deterministicBytes(5000, 5);
        const result = await ingestContent(makeSource(bytes), blobs, { inlineLimitBytes: LIMIT, maxBytes: 5000 });
        assert.deepEqual(result, { kind: 'blob', hash: sha256(bytes), size: 5000 });
      });
    });
  }

  void it('an iterator of many one-byte chunks is read once and stored whole', async () => {
    const blobs = await freshBlobs();
    const bytes = deterministicBytes(20_000, 6);
    const source = trackedSource(bytes, 1);
    const result = await ingestContent(source, blobs, { inlineLimitBytes: LIMIT });
    assert.deepEqual(result, { kind: 'blob', hash: sha256(bytes), size: bytes.length });
    assert.equal(source.chunksRead(), bytes.length, 'the source was read more or less than once');
    assert.ok((await readAll(blobs, sha256(bytes))).equals(bytes));
  });

  void it('many tiny chunks under the limit are joined inline', async () => {
    const blobs = await freshBlobs();
    const bytes = deterministicBytes(LIMIT, 7);
    const result = await ingestContent(chunked(bytes, [1, 2, 3]), blobs, { inlineLimitBytes: LIMIT });
    assert.equal(result.kind, 'inline');
    assert.ok(result.bytes.equals(bytes));
  });

  void it('a source that reuses its buffer between chunks is still stored correctly', async () => {
    const blobs = await freshBlobs();
    const bytes = deterministicBytes(LIMIT * 3, 8);
    async function* reusing(): AsyncGenerator<Uint8Array> {
      const buffer = new Uint8Array(100);
      for (let offset = 0; offset < bytes.length; offset += 100) {
        const piece = bytes.subarray(offset, offset + 100);
        await Promise.resolve();
        buffer.set(piece);
        yield buffer.subarray(0, piece.length);
      }
    }
    const result = await ingestContent(reusing(), blobs, { inlineLimitBytes: LIMIT });
    assert.deepEqual(result, { kind: 'blob', hash: sha256(bytes), size: bytes.length });
    assert.ok((await readAll(blobs, sha256(bytes))).equals(bytes));
  });

  void it('inline content is a copy: changing the caller’s bytes afterwards changes nothing', async () => {
    const blobs = await freshBlobs();
    const bytes = Buffer.from('FN:Grace Hopper');
    const result = await ingestContent(bytes, blobs, { inlineLimitBytes: LIMIT });
    bytes.fill(0);
    assert.equal(result.kind, 'inline');
    assert.equal(result.bytes.toString(), 'FN:Grace Hopper');
  });

  void it('over maxBytes, the source is closed after reading no further than needed', async () => {
    const blobs = await freshBlobs();
    const source = trackedSource(deterministicBytes(100_000, 9), 100);
    const result = await ingestContent(source, blobs, { inlineLimitBytes: LIMIT, maxBytes: 500 });
    assert.deepEqual(result, { kind: 'too-large', limit: 500 });
    assert.equal(source.chunksRead(), 6);
    assert.equal(source.closed(), true);
  });

  void it('a source that fails after the inline limit rejects and stores nothing', async () => {
    const blobs = await freshBlobs();
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield deterministicBytes(LIMIT * 2, 10);
      yield deterministicBytes(LIMIT, 11);
      await Promise.resolve();
      throw new Error('connection reset by peer');
    }
    await assert.rejects(ingestContent(failing(), blobs, { inlineLimitBytes: LIMIT }), /connection reset/);
    assert.deepEqual(await listAll(blobs), []);
    assert.equal(await blobs.cleanTemporary(), 0);
  });

  void it('refuses a negative or fractional limit', async () => {
    const blobs = await freshBlobs();
    await assert.rejects(ingestContent(new Uint8Array(1), blobs, { inlineLimitBytes: -1 }), RangeError);
    await assert.rejects(ingestContent(new Uint8Array(1), blobs, { inlineLimitBytes: 10, maxBytes: 1.5 }), RangeError);
  });
});

function sourceKinds(): [string, (bytes: Uint8Array) => Uint8Array | AsyncIterable<Uint8Array>][] {
  return [
    ['a Uint8Array', (bytes) => bytes],
    ['an async iterable of uneven chunks', (bytes) => chunked(bytes, [100, 1, 513])],
  ];
}
