// The photo library against a real server: photos uploaded over WebDAV are found by the
// background indexer, listed newest first with what their EXIF says, and get real
// thumbnails and previews; what cannot be decoded is still stored and served byte-exact.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import type { PhotoEntry } from '../../src/photos/library-entries.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { api, bytesOf, davMkcol, davPut, library, metric, settledLibrary } from './photo-client.ts';
import { avif, heic, jpeg, mp4, png, truncatedJpeg, webp } from './photo-fixtures.ts';

const canon = await jpeg({
  width: 2400,
  height: 1800,
  color: { r: 200, g: 40, b: 40 },
  takenAt: '2024:05:01 10:20:30',
  offset: '+02:00',
  make: 'Canon',
  model: 'Canon EOS R6',
  gps: { latitude: '52/1 31/1 1200/100', latitudeRef: 'N', longitude: '13/1 24/1 0/1', longitudeRef: 'E' },
});
// Held sideways: the camera wrote 3000×2000 pixels and orientation 6 (turn 90° clockwise).
const portrait = await jpeg({ width: 3000, height: 2000, color: { r: 20, g: 20, b: 200 }, takenAt: '2024:03:10 08:00:00', make: 'Google', model: 'Pixel 8', orientation: 6 });
const screenshot = await png({ width: 600, height: 400, color: { r: 0, g: 160, b: 0 }, takenAt: '2022:01:02 03:04:05' });
const sticker = await webp({ width: 300, height: 300, color: { r: 250, g: 200, b: 0 }, takenAt: '2023:06:30 12:00:00', make: 'Samsung', model: 'SM-S911B' });
const modern = await avif({ width: 800, height: 600, color: { r: 90, g: 0, b: 90 }, takenAt: '2021:12:24 19:00:00' });
const iphone = await heic({
  width: 4032,
  height: 3024,
  color: { r: 0, g: 0, b: 0 },
  takenAt: '2024:07:14 18:30:00',
  offset: '-04:00',
  make: 'Apple',
  model: 'iPhone 15 Pro',
  gps: { latitude: '40/1 41/1 2100/100', latitudeRef: 'N', longitude: '74/1 2/1 4000/100', longitudeRef: 'W' },
});
const broken = await truncatedJpeg({ width: 1200, height: 900, color: { r: 10, g: 10, b: 10 }, takenAt: '2019:09:09 09:09:09', make: 'Nikon', model: 'D750' });
// Recorded upright on a phone: landscape pixels and a 90° matrix; the movie box comes last.
const clip = mp4({ recordedAt: new Date('2024-06-20T15:00:00Z'), width: 1920, height: 1080, turned: true });
// A recorder that did not set the time: placed by its upload time.
const undatedClip = mp4({ width: 640, height: 480 });

let server: Harness;
let photos: PhotoEntry[];
const byName = (name: string): PhotoEntry => {
  const found = photos.find((p) => p.name === name);
  assert.ok(found, `${name} is in the library`);
  return found;
};

before(async () => {
  server = await startHarness({ indexPhotos: true });
  await davMkcol(server, 'alice/files/');
  await davMkcol(server, 'alice/files/Camera/');
  await davMkcol(server, 'alice/files/Other/');
  await davPut(server, 'alice/files/Camera/IMG_0001.jpg', canon);
  await davPut(server, 'alice/files/Camera/IMG_0002.jpg', portrait);
  await davPut(server, 'alice/files/Other/screenshot.png', screenshot);
  await davPut(server, 'alice/files/Other/sticker.webp', sticker);
  await davPut(server, 'alice/files/Other/modern.avif', modern);
  await davPut(server, 'alice/files/Camera/IMG_0003.HEIC', iphone);
  await davPut(server, 'alice/files/Camera/broken.jpg', broken);
  await davPut(server, 'alice/files/Camera/clip.mp4', clip);
  await davPut(server, 'alice/files/Camera/undated.mp4', undatedClip);
  // Not media: stored, but not in the library, whatever its name says.
  await davPut(server, 'alice/files/Other/notes.jpg', Buffer.from('these are not the pixels you are looking for\n'));
  photos = await settledLibrary(server, 9);
});

after(() => server.close());

describe('the library', () => {
  test('lists photos newest first by capture time, videos and undated files by upload time', () => {
    assert.deepEqual(
      photos.map((p) => p.name),
      // The undated clip has no capture time: uploaded now, it is the newest.
      ['undated.mp4', 'IMG_0003.HEIC', 'clip.mp4', 'IMG_0001.jpg', 'IMG_0002.jpg', 'sticker.webp', 'screenshot.png', 'modern.avif', 'broken.jpg'],
    );
  });

  test('reads capture time with its offset, camera, location and size from the metadata', () => {
    const photo = byName('IMG_0001.jpg');
    assert.equal(photo.collection, 'files/Camera');
    assert.equal(photo.path, 'files/Camera/IMG_0001.jpg');
    assert.equal(photo.mediaType, 'image/jpeg');
    assert.equal(photo.kind, 'image');
    assert.equal(photo.status, 'ready');
    assert.equal(photo.size, canon.length);
    assert.equal(photo.takenAt, '2024-05-01T10:20:30+02:00');
    assert.deepEqual(photo.camera, { make: 'Canon', model: 'Canon EOS R6' });
    assert.ok(photo.location, 'a location');
    assert.ok(Math.abs(photo.location.latitude - 52.52) < 1e-6, `latitude ${photo.location.latitude}`);
    assert.ok(Math.abs(photo.location.longitude - 13.4) < 1e-6, `longitude ${photo.location.longitude}`);
    assert.equal(photo.width, 2400);
    assert.equal(photo.height, 1800);
    assert.match(photo.sha256, /^[0-9a-f]{64}$/);
    assert.ok(photo.urls.thumbnail.startsWith('/api/v1/photos/thumbnail/files/Camera/IMG_0001.jpg?v='));
    assert.equal(photo.urls.original, '/api/v1/photos/original/files/Camera/IMG_0001.jpg');
  });

  test('a photo taken sideways is listed with the size it is shown at', () => {
    const photo = byName('IMG_0002.jpg');
    assert.equal(photo.orientation, 6);
    assert.deepEqual([photo.width, photo.height], [2000, 3000]);
    assert.equal(photo.takenAt, '2024-03-10T08:00:00', 'no offset recorded: the wall-clock time, without one');
    assert.equal(photo.location, null);
  });

  test('PNG, WebP and AVIF are sniffed from their bytes (uploaded as application/octet-stream)', () => {
    assert.equal(byName('screenshot.png').mediaType, 'image/png');
    assert.equal(byName('sticker.webp').mediaType, 'image/webp');
    assert.deepEqual(byName('sticker.webp').camera, { make: 'Samsung', model: 'SM-S911B' });
    assert.equal(byName('modern.avif').mediaType, 'image/avif');
    for (const name of ['screenshot.png', 'sticker.webp', 'modern.avif']) assert.equal(byName(name).status, 'ready', name);
    assert.equal(photos.find((p) => p.name === 'notes.jpg'), undefined, 'a text file named .jpg is not a photo');
  });

  test('thumbnails and previews are real JPEGs, upright, fitted to 256 and 1600 pixels', async () => {
    const cases: Array<[string, 'thumbnail' | 'preview', number, number]> = [
      ['IMG_0001.jpg', 'thumbnail', 256, 192],
      ['IMG_0001.jpg', 'preview', 1600, 1200],
      // Made from the preview (1067 wide), so 256 × 1067 / 1600, rounded down.
      ['IMG_0002.jpg', 'thumbnail', 170, 256],
      ['IMG_0002.jpg', 'preview', 1067, 1600],
      // Smaller than a preview: not enlarged.
      ['screenshot.png', 'preview', 600, 400],
      ['modern.avif', 'thumbnail', 256, 192],
    ];
    for (const [name, variant, width, height] of cases) {
      const response = await api(server, byName(name).urls[variant]);
      assert.equal(response.status, 200, `${name} ${variant}`);
      assert.equal(response.headers.get('content-type'), 'image/jpeg');
      const metadata = await sharp(await bytesOf(response)).metadata();
      assert.equal(metadata.format, 'jpeg');
      assert.deepEqual([metadata.width, metadata.height], [width, height], `${name} ${variant}`);
    }
  });

  test('a sideways photo is turned upright: the half the camera saw on the left is on top', async () => {
    const preview = await bytesOf(await api(server, byName('IMG_0002.jpg').urls.preview));
    const { data, info } = await sharp(preview).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number): number[] => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
    const [top, bottom] = [pixel(info.width >> 1, 10), pixel(info.width >> 1, info.height - 10)];
    assert.ok(top.every((v) => v > 240), `top is white: ${top.join(',')}`);
    assert.ok((bottom[2] ?? 0) > 150 && (bottom[0] ?? 255) < 80, `bottom is blue: ${bottom.join(',')}`);
  });

  test('thumbnails are cached by content hash: a versioned URL is immutable, and the ETag revalidates', async () => {
    const photo = byName('IMG_0001.jpg');
    const response = await api(server, photo.urls.thumbnail);
    const etag = response.headers.get('etag');
    assert.equal(etag, `"${photo.sha256}.thumbnail"`);
    assert.match(response.headers.get('cache-control') ?? '', /immutable/);
    const again = await api(server, photo.urls.thumbnail.split('?')[0] ?? '', server.appPassword.alice, { headers: { 'if-none-match': etag ?? '' } });
    assert.equal(again.status, 304);
    assert.equal(again.headers.get('cache-control'), 'private, no-cache');
  });

  test('the original is served byte-exact, with the media type its bytes have', async () => {
    for (const [name, bytes] of [['IMG_0001.jpg', canon], ['sticker.webp', sticker], ['IMG_0003.HEIC', iphone], ['broken.jpg', broken], ['clip.mp4', clip]] as const) {
      const photo = byName(name);
      const response = await api(server, photo.urls.original);
      assert.equal(response.status, 200, name);
      assert.equal(response.headers.get('content-type'), photo.mediaType);
      assert.equal(response.headers.get('etag'), `"${photo.sha256}"`);
      assert.ok((await bytesOf(response)).equals(bytes), `${name} comes back byte for byte`);
    }
  });

  test('a HEIC photo is stored and served byte-exact, its metadata read, and its thumbnail is a placeholder that says why', async () => {
    const photo = byName('IMG_0003.HEIC');
    assert.equal(photo.mediaType, 'image/heic');
    assert.equal(photo.status, 'unsupported');
    assert.match(photo.reason ?? '', /HEVC/);
    assert.equal(photo.takenAt, '2024-07-14T18:30:00-04:00');
    assert.deepEqual(photo.camera, { make: 'Apple', model: 'iPhone 15 Pro' });
    assert.deepEqual([photo.width, photo.height], [4032, 3024]);
    assert.ok(photo.location && photo.location.longitude < -74);
    for (const variant of ['thumbnail', 'preview'] as const) {
      const response = await api(server, photo.urls[variant]);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'image/svg+xml');
      assert.equal(response.headers.get('x-holdfast-placeholder'), 'heic');
      assert.match(await response.text(), /No preview for HEIC yet/);
    }
    const dav = await fetch(`${server.url}/dav/alice/files/Camera/IMG_0003.HEIC`, { headers: { authorization: server.appPassword.alice } });
    assert.ok((await bytesOf(dav)).equals(iphone), 'and over WebDAV');
  });

  test('a truncated JPEG is stored byte-exact; its thumbnail failed with the reason, and a placeholder is served', async () => {
    const photo = byName('broken.jpg');
    assert.equal(photo.status, 'failed');
    assert.match(photo.reason ?? '', /premature end|could not be decoded/i);
    // What could be read still is: the EXIF sits at the front of the file.
    assert.deepEqual(photo.camera, { make: 'Nikon', model: 'D750' });
    const response = await api(server, photo.urls.thumbnail);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-holdfast-placeholder'), 'failed');
    assert.match(await response.text(), /could not be read/);
  });

  test('a video is in the library with its recording time and size, and a placeholder for its thumbnail', async () => {
    const video = byName('clip.mp4');
    assert.equal(video.kind, 'video');
    assert.equal(video.mediaType, 'video/mp4');
    assert.equal(video.status, 'unsupported');
    assert.equal(video.takenAt, '2024-06-20T15:00:00Z');
    assert.deepEqual([video.width, video.height], [1080, 1920], 'shown upright, as its matrix says');
    assert.equal(byName('undated.mp4').takenAt, null);
    assert.deepEqual([byName('undated.mp4').width, byName('undated.mp4').height], [640, 480]);
    const response = await api(server, video.urls.thumbnail);
    assert.equal(response.headers.get('x-holdfast-placeholder'), 'video');
  });

  test('pages with an opaque cursor cover the library once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await library(server, `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.ok(page.photos.length <= 3);
      seen.push(...page.photos.map((p) => p.path));
      cursor = page.next;
      pages += 1;
    } while (cursor !== null);
    assert.equal(pages, 3, '9 entries in pages of 3');
    assert.deepEqual(seen, photos.map((p) => p.path));
  });

  test('a bad limit or cursor is a 400 that says what to do', async () => {
    for (const query of ['?limit=0', '?limit=501', '?limit=ten', '?cursor=not-a-cursor']) {
      const response = await api(server, `/api/v1/photos${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(((await response.json()) as { error: string }).error, 'bad-request');
    }
  });

  test('the same photo in a second folder is listed twice and processed once', async () => {
    const before = await metric(server, 'holdfast_photos_processed_total{status="ready"}');
    await davMkcol(server, 'alice/files/Copies/');
    await davPut(server, 'alice/files/Copies/same.jpg', canon);
    const copy = await fetch(`${server.url}/dav/alice/files/Camera/IMG_0002.jpg`, {
      method: 'COPY',
      headers: { authorization: server.appPassword.alice, destination: '/dav/alice/files/Copies/IMG_0002-copy.jpg' },
    });
    assert.equal(copy.status, 201);
    const all = await settledLibrary(server, 11);
    const copies = all.filter((p) => p.sha256 === byName('IMG_0001.jpg').sha256);
    assert.deepEqual(copies.map((p) => p.path).sort(), ['files/Camera/IMG_0001.jpg', 'files/Copies/same.jpg']);
    assert.ok(all.some((p) => p.path === 'files/Copies/IMG_0002-copy.jpg' && p.status === 'ready'));
    // Give the indexer time to reach both changes, then check it decoded nothing.
    for (let i = 0; i < 50 && (await metric(server, 'holdfast_photos_backlog_changes')) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await metric(server, 'holdfast_photos_backlog_changes'), 0);
    assert.equal(await metric(server, 'holdfast_photos_processed_total{status="ready"}'), before);
  });

  test('/metrics shows the queue, the backlog and what was processed', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /^holdfast_photos_queue_length \d+$/m);
    assert.match(text, /^holdfast_photos_backlog_changes \d+$/m);
    assert.match(text, /^holdfast_photos_processed_total\{status="ready"\} 5$/m);
    assert.match(text, /^holdfast_photos_processed_total\{status="unsupported"\} 3$/m);
    assert.match(text, /^holdfast_photos_processed_total\{status="failed"\} 1$/m);
    assert.match(text, /^holdfast_photos_failed_total 1$/m);
  });

  test('the indexer logs its progress and the photos it could not decode, and no errors', () => {
    const lines = server.logs.map((line) => JSON.parse(line) as { level: string; msg: string });
    assert.deepEqual(lines.filter((l) => l.level === 'error' || l.level === 'fatal'), []);
    assert.ok(lines.some((l) => l.level === 'info' && /photo library: caught up with the change log/.test(l.msg)));
    assert.ok(lines.some((l) => l.level === 'info' && /photo library: broken\.jpg is failed \(the image could not be decoded/.test(l.msg)));
    assert.ok(lines.some((l) => l.level === 'info' && /photo library: IMG_0003\.HEIC is unsupported \(HEIC\/HEIF with HEVC/.test(l.msg)));
  });

  test('a photo that is not there, or not in a files collection, is a 404', async () => {
    for (const path of ['/api/v1/photos/thumbnail/files/Camera/nope.jpg', '/api/v1/photos/original/files/nope/IMG_0001.jpg', '/api/v1/photos/preview/contacts/x.vcf', '/api/v1/photos/original/files']) {
      const response = await api(server, path);
      assert.equal(response.status, 404, path);
      assert.equal(((await response.json()) as { error: string }).error, 'not-found');
    }
  });
});
