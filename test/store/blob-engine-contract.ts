// What every blob engine promises, whatever it stores on: the local directory today, S3
// next. An engine passes by calling `runBlobEngineContract` from its own test file.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { BlobEngine } from '../../src/store/blobs/blob-engine.ts';

export type MakeBlobEngine = () => Promise<{ engine: BlobEngine; cleanup: () => Promise<void> }>;

export function runBlobEngineContract(name: string, makeEngine: MakeBlobEngine): void {
  void describe(`blob engine contract: ${name}`, () => {
    const withEngine = (test: (engine: BlobEngine) => Promise<void>) => async () => {
      const { engine, cleanup } = await makeEngine();
      try {
        await test(engine);
      } finally {
        await cleanup();
      }
    };

    void it(
      'stores empty content and gives it back, named by the SHA-256 of no bytes',
      withEngine(async (engine) => {
        const result = await engine.put(fromChunks([new Uint8Array(0), new Uint8Array(0)]));
        assert.deepEqual(result, { kind: 'stored', hash: sha256(new Uint8Array(0)), size: 0, existed: false });
        assert.equal(await engine.size(result.hash), 0);
        assert.deepEqual(await readAll(engine, result.hash), Buffer.alloc(0));
      }),
    );

    void it(
      'stores small content and gives back the same bytes under their SHA-256',
      withEngine(async (engine) => {
        const bytes = Buffer.from('BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ada Lovelace\r\nEND:VCARD\r\n');
        const result = await engine.put(chunked(bytes, [7]));
        assert.equal(result.kind, 'stored');
        assert.equal(result.hash, sha256(bytes));
        assert.equal(result.size, bytes.length);
        assert.equal(await engine.has(result.hash), true);
        assert.equal(await engine.size(result.hash), bytes.length);
        assert.deepEqual(await readAll(engine, result.hash), bytes);
      }),
    );

    void it(
      'streams multi-megabyte content in many uneven chunks and gives back every byte',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(5 * 1024 * 1024 + 123, 1);
        const result = await engine.put(chunked(bytes, [1, 65_536, 17, 300_000, 4096]));
        assert.deepEqual(result, { kind: 'stored', hash: sha256(bytes), size: bytes.length, existed: false });
        const back = await readAll(engine, sha256(bytes));
        assert.equal(back.length, bytes.length);
        assert.ok(back.equals(bytes), 'the content read back differs from the content stored');
      }),
    );

    void it(
      'a source that reuses one buffer for every chunk (as some streams do) is stored as it was sent',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(3 * 1024 * 1024 + 77, 17);
        async function* reusing(): AsyncGenerator<Uint8Array> {
          const buffer = new Uint8Array(40_000);
          for (let offset = 0; offset < bytes.length; offset += buffer.length) {
            const piece = bytes.subarray(offset, offset + buffer.length);
            buffer.set(piece);
            yield buffer.subarray(0, piece.length);
          }
        }
        const result = await engine.put(reusing());
        assert.deepEqual(result, { kind: 'stored', hash: sha256(bytes), size: bytes.length, existed: false });
        assert.ok((await readAll(engine, result.hash)).equals(bytes), 'the stored bytes differ from the bytes sent');
      }),
    );

    void it(
      'a second put of the same content answers existed: true and keeps one copy',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(100_000, 2);
        const first = await engine.put(chunked(bytes, [10_000]));
        const second = await engine.put(chunked(bytes, [3333]));
        assert.deepEqual(first, { kind: 'stored', hash: sha256(bytes), size: bytes.length, existed: false });
        assert.deepEqual(second, { kind: 'stored', hash: sha256(bytes), size: bytes.length, existed: true });
        assert.deepEqual(await listAll(engine), [sha256(bytes)]);
        assert.ok((await readAll(engine, sha256(bytes))).equals(bytes));
      }),
    );

    void it(
      'concurrent puts of the same content all succeed and leave one good copy',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(700_000, 3);
        const results = await Promise.all([1, 2, 3, 4, 5].map((i) => engine.put(chunked(bytes, [i * 10_000]))));
        for (const result of results) {
          assert.equal(result.kind, 'stored');
          assert.equal(result.hash, sha256(bytes));
          assert.equal(result.size, bytes.length);
        }
        assert.ok(results.some((result) => result.kind === 'stored' && !result.existed));
        assert.deepEqual(await listAll(engine), [sha256(bytes)]);
        assert.ok((await readAll(engine, sha256(bytes))).equals(bytes));
        assert.equal(await engine.cleanTemporary(), 0);
      }),
    );

    void it(
      'content exactly at maxBytes is stored',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(1000, 4);
        const result = await engine.put(chunked(bytes, [100]), { maxBytes: 1000 });
        assert.deepEqual(result, { kind: 'stored', hash: sha256(bytes), size: 1000, existed: false });
      }),
    );

    void it(
      'content over maxBytes answers too-large, stops reading the source and leaves nothing behind',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(50_000, 5);
        const source = trackedSource(bytes, 1000);
        const result = await engine.put(source, { maxBytes: 4500 });
        assert.deepEqual(result, { kind: 'too-large', limit: 4500 });
        assert.ok(source.chunksRead() <= 6, `read ${source.chunksRead()} chunks of 1000 bytes past a 4500-byte limit`);
        assert.equal(source.closed(), true, 'the source was not closed after too-large');
        assert.equal(await engine.has(sha256(bytes)), false);
        assert.deepEqual(await listAll(engine), []);
        assert.equal(await engine.cleanTemporary(), 0);
      }),
    );

    void it(
      'a source that fails midway (a client that went away) rejects the put and leaves nothing behind',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(300_000, 6);
        async function* disconnecting(): AsyncGenerator<Uint8Array> {
          yield bytes.subarray(0, 100_000);
          yield bytes.subarray(100_000, 200_000);
          await Promise.resolve();
          throw new Error('client disconnected');
        }
        await assert.rejects(engine.put(disconnecting()), /client disconnected/);
        assert.deepEqual(await listAll(engine), []);
        assert.equal(await engine.has(sha256(bytes)), false);
        assert.equal(await engine.has(sha256(bytes.subarray(0, 200_000))), false);
        assert.equal(await engine.cleanTemporary(), 0, 'a failed put left a temporary behind');
      }),
    );

    void it(
      'a put of the same content that fails midway leaves the copy stored earlier whole and readable',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(300_000, 16);
        assert.equal((await engine.put(chunked(bytes, [50_000]))).kind, 'stored');
        async function* disconnecting(): AsyncGenerator<Uint8Array> {
          yield bytes.subarray(0, 150_000);
          await Promise.resolve();
          throw new Error('client disconnected');
        }
        await assert.rejects(engine.put(disconnecting()), /client disconnected/);
        assert.deepEqual(await listAll(engine), [sha256(bytes)]);
        assert.ok((await readAll(engine, sha256(bytes))).equals(bytes), 'the stored copy changed');
        assert.equal(await engine.cleanTemporary(), 0, 'a failed put left a temporary behind');
      }),
    );

    void it(
      'an absent hash is not there: open answers null, has false, size null',
      withEngine(async (engine) => {
        const absent = sha256(Buffer.from('never stored'));
        assert.equal(await engine.open(absent), null);
        assert.equal(await engine.has(absent), false);
        assert.equal(await engine.size(absent), null);
      }),
    );

    void it(
      'anything but 64 lowercase hex characters is refused as a hash',
      withEngine(async (engine) => {
        const stored = await engine.put(chunked(Buffer.from('x'), [1]));
        assert.equal(stored.kind, 'stored');
        const invalid = [
          '',
          '../../../etc/passwd',
          stored.hash.toUpperCase(),
          stored.hash.slice(0, 63),
          `${stored.hash}0`,
          `${stored.hash.slice(0, 62)}/x`,
          `${stored.hash.slice(0, 63)}g`,
          `tmp/${stored.hash.slice(4)}`,
        ];
        for (const hash of invalid) {
          await assert.rejects(engine.open(hash), TypeError, `open accepted ${JSON.stringify(hash)}`);
          await assert.rejects(engine.has(hash), TypeError, `has accepted ${JSON.stringify(hash)}`);
          await assert.rejects(engine.size(hash), TypeError, `size accepted ${JSON.stringify(hash)}`);
        }
      }),
    );

    void it(
      'list returns exactly the hashes stored, each once',
      withEngine(async (engine) => {
        assert.deepEqual(await listAll(engine), []);
        const contents = ['one', 'two', 'three', 'two'].map((text) => Buffer.from(text));
        for (const bytes of contents) await engine.put(chunked(bytes, [2]));
        const expected = [...new Set(contents.map(sha256))].sort();
        assert.deepEqual(await listAll(engine), expected);
      }),
    );

    void it(
      'a reader that stops early gets no error, and the content can be read again in full',
      withEngine(async (engine) => {
        const bytes = deterministicBytes(2 * 1024 * 1024, 7);
        await engine.put(chunked(bytes, [65_536]));
        const stream = await engine.open(sha256(bytes));
        assert.ok(stream);
        for await (const chunk of stream) {
          assert.ok(chunk.byteLength > 0);
          break;
        }
        assert.ok((await readAll(engine, sha256(bytes))).equals(bytes));
      }),
    );

    void it(
      'checkWritable succeeds on a healthy engine and leaves nothing behind',
      withEngine(async (engine) => {
        await engine.checkWritable();
        assert.deepEqual(await listAll(engine), []);
        assert.equal(await engine.cleanTemporary(), 0);
      }),
    );
  });
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reproducible pseudo-random bytes (xorshift32), so a failure replays exactly. */
export function deterministicBytes(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = (seed * 2_654_435_761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** Yields `bytes` in chunks whose sizes cycle through `sizes`, with a pause between chunks
 * so that concurrent writers interleave as they would over real sockets. */
export async function* chunked(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let offset = 0;
  let turn = 0;
  while (offset < bytes.length) {
    const size = sizes[turn++ % sizes.length] ?? 1;
    yield bytes.subarray(offset, offset + size);
    offset += size;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

export async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) {
    await Promise.resolve();
    yield chunk;
  }
}

export function trackedSource(
  bytes: Uint8Array,
  chunkSize: number,
): AsyncIterable<Uint8Array> & { chunksRead(): number; closed(): boolean } {
  let read = 0;
  let closed = false;
  async function* generate(): AsyncGenerator<Uint8Array> {
    try {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        read++;
        await Promise.resolve();
        yield bytes.subarray(offset, offset + chunkSize);
      }
    } finally {
      closed = true;
    }
  }
  const generator = generate();
  return {
    [Symbol.asyncIterator]: () => generator,
    chunksRead: () => read,
    closed: () => closed,
  };
}

export async function readAll(engine: BlobEngine, hash: string): Promise<Buffer> {
  const stream = await engine.open(hash);
  assert.ok(stream, `blob ${hash} is absent`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function listAll(engine: BlobEngine): Promise<string[]> {
  const hashes: string[] = [];
  for await (const hash of engine.list()) hashes.push(hash);
  return hashes.sort();
}
