// What a file is, from its bytes; when a photo was taken, from its EXIF; and the lane that
// keeps decodes to one at a time with a person's request ahead of the background.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { captureTime } from '../../src/photos/read-photo-metadata.ts';
import { createSerialLane } from '../../src/photos/serial-lane.ts';
import { sniffMedia } from '../../src/photos/sniff-media.ts';
import { avif, heic, jpeg, mp4, png, webp } from './photo-fixtures.ts';

const spec = { width: 32, height: 24, color: { r: 1, g: 2, b: 3 } };

function ftyp(major: string, ...compatible: string[]): Buffer {
  const body = Buffer.concat([Buffer.from(major, 'latin1'), Buffer.alloc(4), ...compatible.map((b) => Buffer.from(b, 'latin1'))]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(8 + body.length);
  return Buffer.concat([size, Buffer.from('ftyp', 'latin1'), body, Buffer.alloc(16)]);
}

describe('sniffMedia', () => {
  test('tells images and videos by their first bytes', async () => {
    const cases: Array<[string, Buffer, string | null]> = [
      ['JPEG', await jpeg(spec), 'image/jpeg'],
      ['PNG', await png(spec), 'image/png'],
      ['WebP', await webp(spec), 'image/webp'],
      ['AVIF', await avif(spec), 'image/avif'],
      ['iPhone HEIC', await heic(spec), 'image/heic'],
      ['HEIF with a generic major brand', ftyp('mif1', 'mif1', 'heic'), 'image/heic'],
      ['AVIF with a generic major brand', ftyp('mif1', 'mif1', 'avif', 'miaf'), 'image/avif'],
      ['MP4', mp4(), 'video/mp4'],
      ['iPhone MOV', ftyp('qt  ', 'qt  '), 'video/quicktime'],
      ['3GP', ftyp('3gp5', 'isom'), 'video/3gpp'],
      ['M4A audio', ftyp('M4A ', 'M4A ', 'mp42', 'isom'), null],
      ['GIF', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1'), 'image/gif'],
      ['WebM', Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.from('\x42\x82\x84webm', 'latin1')]), 'video/webm'],
      ['text', Buffer.from('BEGIN:VCARD\r\nVERSION:4.0\r\n', 'latin1'), null],
      ['PDF', Buffer.from('%PDF-1.7\n', 'latin1'), null],
      ['empty', Buffer.alloc(0), null],
      ['Canon raw', ftyp('crx ', 'crx ', 'isom'), null],
    ];
    for (const [what, bytes, expected] of cases) assert.equal(sniffMedia(bytes)?.mediaType ?? null, expected, what);
  });

  test('a brand list of only audio or unknown brands is not media', () => {
    assert.equal(sniffMedia(ftyp('M4A ', 'M4A ')), null);
    assert.equal(sniffMedia(ftyp('zzzz')), null);
  });
});

describe('captureTime', () => {
  test('keeps the offset the camera recorded, and orders by the instant', () => {
    assert.deepEqual(captureTime('2024:05:01 10:20:30', '+02:00'), { takenAt: '2024-05-01T10:20:30+02:00', takenAtMs: Date.UTC(2024, 4, 1, 8, 20, 30) });
    assert.deepEqual(captureTime('2024:05:01 10:20:30', '-04:30'), { takenAt: '2024-05-01T10:20:30-04:30', takenAtMs: Date.UTC(2024, 4, 1, 14, 50, 30) });
  });

  test('without an offset, the wall-clock time is kept as it is and sorted as if UTC', () => {
    assert.deepEqual(captureTime('2024:05:01 10:20:30', undefined), { takenAt: '2024-05-01T10:20:30', takenAtMs: Date.UTC(2024, 4, 1, 10, 20, 30) });
    assert.deepEqual(captureTime('2024:05:01 10:20:30', 'garbage'), { takenAt: '2024-05-01T10:20:30', takenAtMs: Date.UTC(2024, 4, 1, 10, 20, 30) });
  });

  test('the blank and impossible times cameras write are no time at all', () => {
    for (const value of ['0000:00:00 00:00:00', '    :  :     :  :  ', '2024:13:01 10:00:00', '', 42, undefined]) assert.equal(captureTime(value, undefined), null, String(value));
  });
});

describe('the decode lane', () => {
  test('runs one job at a time, a person’s request ahead of the background, and a repeated key once', async () => {
    const lane = createSerialLane();
    const order: string[] = [];
    let running = 0;
    let most = 0;
    const job = (name: string) => async (): Promise<string> => {
      running += 1;
      most = Math.max(most, running);
      order.push(name);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
      return name;
    };
    const results = await Promise.all([
      lane.run('a', job('a'), 'background'),
      lane.run('b', job('b'), 'background'),
      lane.run('c', job('c'), 'background'),
      lane.run('d', job('d'), 'interactive'),
      lane.run('c', job('c again'), 'interactive'),
    ]);
    assert.deepEqual(results, ['a', 'b', 'c', 'd', 'c']);
    assert.equal(most, 1);
    // "a" had started; then the person's "d", then "c" (moved ahead by the second request), then "b".
    assert.deepEqual(order, ['a', 'd', 'c', 'b']);
    await lane.idle();
    assert.equal(lane.waiting, 0);
  });
});
