import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BlobCorruptError, openLocalDirectoryBlobs } from '../../src/store/blobs/local-directory.ts';
import { ensureDirectoryDurably, writeFileDurably } from '../../src/store/durable-fs.ts';
import {
  chunked,
  deterministicBytes,
  listAll,
  readAll,
  runBlobEngineContract,
  sha256,
} from './blob-engine-contract.ts';

runBlobEngineContract('local directory', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-blobs-'));
  const engine = await openLocalDirectoryBlobs(join(root, 'blobs'));
  return { engine, cleanup: () => rm(root, { recursive: true, force: true }) };
});

void describe('local directory blob engine', () => {
  let scratch: string;
  let counter = 0;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'holdfast-blobs-local-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });
  const freshRoot = () => join(scratch, `blobs-${++counter}`);
  const blobPath = (root: string, hash: string) => join(root, hash.slice(0, 2), hash.slice(2, 4), hash);

  /** Reads a blob the way an HTTP response would, keeping what arrived before any error. */
  async function readUntilError(stream: AsyncIterable<Uint8Array>): Promise<{ received: number; error: unknown }> {
    let received = 0;
    try {
      for await (const chunk of stream) received += chunk.byteLength;
    } catch (error) {
      return { received, error };
    }
    return { received, error: null };
  }

  void it('keeps a blob at root/ab/cd/<hash> with nothing left in tmp/', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    const bytes = Buffer.from('a photo, honestly');
    const result = await engine.put(chunked(bytes, [4]));
    assert.equal(result.kind, 'stored');
    const path = blobPath(root, sha256(bytes));
    assert.deepEqual(await readFile(path), bytes);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
  });

  void it('a blob whose stored bytes had one bit flipped makes the stream throw BlobCorruptError instead of ending', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    const bytes = deterministicBytes(1024 * 1024, 11);
    const hash = sha256(bytes);
    await engine.put(chunked(bytes, [65_536]));
    const path = blobPath(root, hash);
    const damaged = await readFile(path);
    damaged[700_000] = (damaged[700_000] ?? 0) ^ 0x01;
    await writeFile(path, damaged);

    const stream = await engine.open(hash);
    assert.ok(stream);
    const { received, error } = await readUntilError(stream);
    assert.ok(error instanceof BlobCorruptError, `expected BlobCorruptError, got ${String(error)}`);
    assert.match(error.message, new RegExp(hash));
    assert.ok(error.message.includes(path), 'the error does not name the file');
    assert.equal(error.actualHash, sha256(damaged));
    assert.ok(received < bytes.length, 'every byte of a corrupt blob reached the reader, so it could pass as complete');
  });

  void it('a truncated blob makes the stream throw BlobCorruptError instead of ending', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    const bytes = deterministicBytes(600_000, 12);
    const hash = sha256(bytes);
    await engine.put(chunked(bytes, [50_000]));
    await truncate(blobPath(root, hash), 400_000);

    const stream = await engine.open(hash);
    assert.ok(stream);
    const { error } = await readUntilError(stream);
    assert.ok(error instanceof BlobCorruptError, `expected BlobCorruptError, got ${String(error)}`);
    assert.equal(error.actualSize, 400_000);
  });

  void it('a blob truncated to nothing is corrupt too, not empty content', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    const bytes = Buffer.from('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n');
    await engine.put(chunked(bytes, [5]));
    await truncate(blobPath(root, sha256(bytes)), 0);
    const stream = await engine.open(sha256(bytes));
    assert.ok(stream);
    const { received, error } = await readUntilError(stream);
    assert.ok(error instanceof BlobCorruptError);
    assert.equal(received, 0);
  });

  void it('cleanTemporary removes what crashed writes left in tmp/, and such leftovers are never listed as blobs', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    const bytes = Buffer.from('half of something');
    // A crash can leave a temp whose name even looks like a hash; it is still not a blob.
    await writeFile(join(root, 'tmp', sha256(bytes)), bytes);
    await writeFile(join(root, 'tmp', 'put-0123abcd'), bytes.subarray(0, 4));
    await mkdir(join(root, 'tmp', 'odd-directory'));
    await writeFile(join(root, 'tmp', 'odd-directory', 'inside'), 'x');

    assert.deepEqual(await listAll(engine), []);
    assert.equal(await engine.has(sha256(bytes)), false);
    assert.equal(await engine.cleanTemporary(), 3);
    assert.deepEqual(await readdir(join(root, 'tmp')), []);
    assert.equal(await engine.cleanTemporary(), 0);
  });

  void it('cleanTemporary leaves alone the temp file of a put still in progress', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstChunkRead: () => void = () => undefined;
    const firstChunk = new Promise<void>((resolve) => {
      firstChunkRead = resolve;
    });
    async function* slowUpload(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('first half, ');
      firstChunkRead();
      await gate;
      yield Buffer.from('second half');
    }
    const put = engine.put(slowUpload());
    await firstChunk;
    assert.equal(await engine.cleanTemporary(), 0);
    release();
    const result = await put;
    assert.equal(result.kind, 'stored');
    assert.deepEqual(await readAll(engine, result.hash), Buffer.from('first half, second half'));
  });

  void it('of concurrent identical puts exactly one reports that it created the blob', async () => {
    const engine = await openLocalDirectoryBlobs(freshRoot());
    const bytes = deterministicBytes(200_000, 13);
    const results = await Promise.all([1, 2, 3, 4].map(() => engine.put(chunked(bytes, [20_000]))));
    assert.equal(results.filter((result) => result.kind === 'stored' && !result.existed).length, 1);
  });

  void it('a repeat put over a damaged copy repairs it', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    const bytes = deterministicBytes(100_000, 14);
    await engine.put(chunked(bytes, [10_000]));
    await truncate(blobPath(root, sha256(bytes)), 10);
    const again = await engine.put(chunked(bytes, [10_000]));
    assert.deepEqual(again, { kind: 'stored', hash: sha256(bytes), size: bytes.length, existed: true });
    assert.ok((await readAll(engine, sha256(bytes))).equals(bytes));
  });

  void it('list ignores files that are not blobs in their right place', async () => {
    const root = freshRoot();
    const engine = await openLocalDirectoryBlobs(root);
    const stored = await engine.put(chunked(Buffer.from('real'), [2]));
    assert.equal(stored.kind, 'stored');
    const stray = sha256(Buffer.from('stray'));
    await mkdir(join(root, 'ff', 'ff'), { recursive: true });
    await writeFile(join(root, 'ff', 'ff', stray), 'stray'); // wrong fan-out for its name
    await writeFile(join(root, 'ff', 'ff', 'notes.txt'), 'x');
    await mkdir(join(root, 'zz', '00'), { recursive: true });
    await writeFile(join(root, 'README'), 'x');
    assert.deepEqual(await listAll(engine), [stored.hash]);
  });

  void it('a reopened directory still holds what was stored before', async () => {
    const root = freshRoot();
    const bytes = deterministicBytes(70_000, 15);
    const first = await openLocalDirectoryBlobs(root);
    await first.put(chunked(bytes, [7000]));
    const second = await openLocalDirectoryBlobs(root);
    assert.deepEqual(await listAll(second), [sha256(bytes)]);
    assert.ok((await readAll(second, sha256(bytes))).equals(bytes));
  });

  void it('refuses to open where a file stands instead of a directory', async () => {
    const path = freshRoot();
    await writeFile(path, 'not a directory');
    await assert.rejects(openLocalDirectoryBlobs(path), /not a directory/);
  });
});

// The engine's durability rests on these helpers, so they are checked here with it.
void describe('durable file helpers', () => {
  let scratch: string;
  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'holdfast-durable-fs-'));
  });
  after(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  void it('writeFileDurably replaces a file whole and leaves no temp file', async () => {
    const dir = join(scratch, 'write');
    await mkdir(dir);
    const path = join(dir, 'identity.json');
    await writeFileDurably(path, '{"generation":1}');
    await writeFileDurably(path, new Uint8Array(Buffer.from('{"generation":2}')));
    assert.equal(await readFile(path, 'utf8'), '{"generation":2}');
    assert.deepEqual(await readdir(dir), ['identity.json']);
  });

  void it('writeFileDurably that fails leaves no temp file behind', async () => {
    const dir = join(scratch, 'write-fails');
    await mkdir(dir);
    const path = join(dir, 'target');
    // A non-empty directory at the target makes the final rename fail, after the temp
    // file has been written and fsynced.
    await mkdir(path);
    await writeFile(join(path, 'occupant'), 'x');
    await assert.rejects(writeFileDurably(path, 'new'));
    assert.deepEqual(await readdir(dir), ['target']);
  });

  void it('ensureDirectoryDurably makes every missing level, and concurrent calls agree', async () => {
    const deep = join(scratch, 'a', 'b', 'c', 'd');
    await Promise.all([ensureDirectoryDurably(deep), ensureDirectoryDurably(deep), ensureDirectoryDurably(join(deep, '..'))]);
    assert.ok((await stat(deep)).isDirectory());
    await ensureDirectoryDurably(deep);
  });

  void it('ensureDirectoryDurably refuses when a file stands in the way', async () => {
    const blocker = join(scratch, 'blocker');
    await writeFile(blocker, 'x');
    await assert.rejects(ensureDirectoryDurably(join(blocker, 'child')), /not a directory/);
  });
});
