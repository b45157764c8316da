// A photo whose stored bytes were damaged on disk after the upload: the library marks it
// failed and says why, instead of stalling behind it or showing a thumbnail of bad bytes.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { startHarness } from '../server/harness.ts';
import { api, davMkcol, davPut, library, settledLibrary } from './photo-client.ts';

/** A JPEG of noise: too big (over the 64 KiB inline limit) to be kept inside the database. */
const noisyJpeg = (seed: number): Promise<Buffer> =>
  sharp({ create: { width: 640, height: 480, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 100 + seed, sigma: 60 } } })
    .jpeg({ quality: 95 })
    .withExif({ IFD2: { DateTimeOriginal: `202${seed}:01:01 00:00:00` } })
    .toBuffer();

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'holdfast-photos-damaged-'));
});
after(() => rm(root, { recursive: true, force: true }));

async function damageBlob(dir: string, hash: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || entry.name !== hash) continue;
    const path = join(entry.parentPath, entry.name);
    const bytes = await readFile(path);
    bytes[bytes.length - 10] = (bytes[bytes.length - 10] ?? 0) ^ 0xff;
    await writeFile(path, bytes);
    return;
  }
  assert.fail(`no blob named ${hash}`);
}

test('a photo whose blob was damaged is marked failed with the reason, and the indexer goes on to the next', async () => {
  const dataDir = join(root, 'data');
  const first = await startHarness({ dataDir });
  await davMkcol(first, 'alice/files/');
  await davPut(first, 'alice/files/damaged.jpg', await noisyJpeg(0));
  await davPut(first, 'alice/files/fine.jpg', await noisyJpeg(1));
  const damaged = (await library(first)).photos.find((p) => p.name === 'damaged.jpg');
  assert.ok(damaged);
  await first.close();
  await damageBlob(join(dataDir, 'blobs'), damaged.sha256);

  const second = await startHarness({ dataDir, indexPhotos: true });
  try {
    const photos = await settledLibrary(second, 2);
    const fine = photos.find((p) => p.name === 'fine.jpg');
    const bad = photos.find((p) => p.name === 'damaged.jpg');
    assert.equal(fine?.status, 'ready');
    assert.equal(fine?.takenAt, '2021-01-01T00:00:00');
    assert.equal(bad?.status, 'failed');
    // Nothing was read from bytes that cannot be trusted: it is placed by its upload time.
    assert.equal(bad?.takenAt, null);
    assert.match(bad?.reason ?? '', /integrity check/);
    const thumbnail = await api(second, bad?.urls.thumbnail ?? '');
    assert.equal(thumbnail.headers.get('x-holdfast-placeholder'), 'failed');
    // As for every read from the store: the damage is found as the bytes stream out, and
    // the connection is cut before Content-Length bytes arrive, so no client takes it as whole.
    const original = await api(second, bad?.urls.original ?? '');
    await assert.rejects(original.arrayBuffer());
  } finally {
    await second.close();
  }
});
