// The file tree over HTTP: ETags made from the content hash, and byte ranges (RFC 9110 §14),
// against a real server and the real blob directory on disk.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody } from './dav-client.ts';

const FILES = '/dav/alice/files';
// The hash as a file's ETag carries it: base64url (src/protocols/rest/conditional.ts says why).
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64url');
const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Bytes that differ at every offset, so a range off by one shows. */
function numberedBytes(size: number, seed: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) bytes[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return bytes;
}

const blobPath = (server: Harness, hash: string): string => join(server.dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash);

async function put(server: Harness, name: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<Response> {
  return davRequest(server, 'PUT', `${FILES}/${name}`, { body, headers: { 'content-type': 'application/octet-stream', ...headers } });
}

async function getEtagByPropfind(server: Harness, name: string): Promise<string | undefined> {
  const [entry] = await multistatus(await davRequest(server, 'PROPFIND', `${FILES}/${name}`, { headers: { depth: '0' }, body: propfindBody('d:getetag') }));
  return entry?.props.get('{DAV:}getetag')?.element.text;
}

describe('the file tree over HTTP: ETags and ranges', () => {
  let server: Harness;
  // 200 KB: past the 64 KiB inline limit, so it lives in the blob directory.
  const big = numberedBytes(200_000, 7);
  const small = Buffer.from('a small note that is kept inline in the database\n');
  before(async () => {
    server = await startHarness({ config: { logLevel: 'warn' } });
    const user = await server.store.accounts.getUserByName('alice');
    assert.ok(user);
    // Every user starts with a files folder (src/store/default-collections.ts).
    assert.equal((await server.store.forUser(user.id).getCollection('files'))?.kind, 'files');
    assert.equal((await put(server, 'big.bin', big)).status, 201);
    assert.equal((await put(server, 'small.txt', small, { 'content-type': 'text/plain' })).status, 201);
  });
  after(() => server.close());

  describe('ETag from the content hash', () => {
    test('a file\'s ETag is "sha256-<base64url>" of its bytes, the same in the PUT answer, GET, HEAD, PROPFIND and sync-collection', async () => {
      const bytes = Buffer.from('hello, file tree\n');
      const expected = `"sha256-${sha256(bytes)}"`;
      const written = await put(server, 'etag.txt', bytes);
      assert.equal(written.status, 201);
      assert.equal(written.headers.get('etag'), expected);
      assert.equal((await davRequest(server, 'GET', `${FILES}/etag.txt`)).headers.get('etag'), expected);
      assert.equal((await davRequest(server, 'HEAD', `${FILES}/etag.txt`)).headers.get('etag'), expected);
      assert.equal(await getEtagByPropfind(server, 'etag.txt'), expected);
      const sync = await davRequest(server, 'REPORT', `${FILES}/`, {
        body: '<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>',
      });
      const entry = (await multistatus(sync)).find((e) => e.href === `${FILES}/etag.txt`);
      assert.equal(entry?.props.get('{DAV:}getetag')?.element.text, expected);
    });

    test('the same bytes under two names, or written again, have the same ETag', async () => {
      const bytes = Buffer.from('twice the same\n');
      const first = (await put(server, 'twin-a.txt', bytes)).headers.get('etag');
      const second = (await put(server, 'twin-b.txt', bytes)).headers.get('etag');
      const again = (await put(server, 'twin-a.txt', bytes)).headers.get('etag');
      assert.equal(first, `"sha256-${sha256(bytes)}"`);
      assert.equal(second, first);
      assert.equal(again, first);
    });

    test('address books keep their revision-id ETags', async () => {
      const card = 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:etag-card\r\nFN:Etag Card\r\nEND:VCARD\r\n';
      const response = await davRequest(server, 'PUT', '/dav/alice/contacts/etag-card.vcf', { body: card, headers: { 'content-type': 'text/vcard' } });
      assert.equal(response.status, 201);
      assert.doesNotMatch(response.headers.get('etag') ?? '', /sha256-/);
    });

    test('If-Match with the hash ETag updates; with a stale one it answers 412 and changes nothing', async () => {
      const v1 = Buffer.from('version one\n');
      const v2 = Buffer.from('version two\n');
      const etag1 = (await put(server, 'cond.txt', v1)).headers.get('etag') ?? '';
      const updated = await put(server, 'cond.txt', v2, { 'if-match': etag1 });
      assert.equal(updated.status, 204);
      assert.equal(updated.headers.get('etag'), `"sha256-${sha256(v2)}"`);
      const stale = await put(server, 'cond.txt', Buffer.from('version three\n'), { 'if-match': etag1 });
      assert.equal(stale.status, 412);
      assert.match(await stale.text(), new RegExp(`current ETag is &quot;sha256-${sha256(v2)}&quot;|current ETag is "sha256-${sha256(v2)}"`));
      assert.deepEqual(Buffer.from(await (await davRequest(server, 'GET', `${FILES}/cond.txt`)).arrayBuffer()), v2);
      // A DELETE with the stale ETag is refused too; with the current one it goes to the trash.
      assert.equal((await davRequest(server, 'DELETE', `${FILES}/cond.txt`, { headers: { 'if-match': etag1 } })).status, 412);
      assert.equal((await davRequest(server, 'DELETE', `${FILES}/cond.txt`, { headers: { 'if-match': `"sha256-${sha256(v2)}"` } })).status, 204);
    });

    test('If-None-Match: * refuses to replace an existing file; If-None-Match with its ETag on GET answers 304 without a body', async () => {
      const bytes = Buffer.from('exists\n');
      const etag = (await put(server, 'inm.txt', bytes)).headers.get('etag') ?? '';
      assert.equal((await put(server, 'inm.txt', Buffer.from('replaced?\n'), { 'if-none-match': '*' })).status, 412);
      assert.equal((await put(server, 'inm.txt', Buffer.from('replaced?\n'), { 'if-none-match': etag })).status, 412);
      const cached = await davRequest(server, 'GET', `${FILES}/inm.txt`, { headers: { 'if-none-match': etag } });
      assert.equal(cached.status, 304);
      assert.equal(await cached.text(), '');
      assert.deepEqual(Buffer.from(await (await davRequest(server, 'GET', `${FILES}/inm.txt`)).arrayBuffer()), bytes);
    });

    test('of concurrent PUTs carrying the same hash ETag in If-Match exactly one wins; the others answer 412', async () => {
      const etag = (await put(server, 'race.txt', Buffer.from('the base version\n'))).headers.get('etag') ?? '';
      const bodies = Array.from({ length: 6 }, (_, n) => Buffer.from(`writer ${n} was here\n`));
      const answers = await Promise.all(bodies.map((body) => put(server, 'race.txt', body, { 'if-match': etag })));
      const statuses = answers.map((answer) => answer.status).sort();
      assert.deepEqual(statuses, [204, 412, 412, 412, 412, 412]);
      const winner = answers.find((answer) => answer.status === 204);
      const stored = Buffer.from(await (await davRequest(server, 'GET', `${FILES}/race.txt`)).arrayBuffer());
      assert.equal(`"sha256-${sha256(stored)}"`, winner?.headers.get('etag'));
    });

    test('the JSON API keeps revision-id ETags but takes the hash ETag in If-Match', async () => {
      const bytes = Buffer.from('reached through the API too\n');
      const etag = (await put(server, 'api.txt', bytes)).headers.get('etag') ?? '';
      const url = `${server.url}/api/v1/collections/files/items/api.txt`;
      const stale = await fetch(url, { method: 'PUT', headers: { authorization: server.bearer.alice, 'if-match': '"sha256-00"' }, body: 'nope' });
      assert.equal(stale.status, 412);
      const updated = await fetch(url, { method: 'PUT', headers: { authorization: server.bearer.alice, 'if-match': etag }, body: 'changed through the API\n' });
      assert.equal(updated.status, 200);
      assert.doesNotMatch(updated.headers.get('etag') ?? '', /sha256-/);
    });

    test('COPY and MOVE with If-Match take the hash ETag of the source', async () => {
      const bytes = Buffer.from('to be moved\n');
      const etag = (await put(server, 'mover.txt', bytes)).headers.get('etag') ?? '';
      const stale = await davRequest(server, 'MOVE', `${FILES}/mover.txt`, { headers: { destination: `${FILES}/moved.txt`, 'if-match': '"sha256-00"' } });
      assert.equal(stale.status, 412);
      const moved = await davRequest(server, 'MOVE', `${FILES}/mover.txt`, { headers: { destination: `${FILES}/moved.txt`, 'if-match': etag } });
      assert.equal(moved.status, 201);
      assert.equal(await getEtagByPropfind(server, 'moved.txt'), etag);
    });
  });

  describe('byte ranges', () => {
    const getRange = (name: string, range: string, headers: Record<string, string> = {}): Promise<Response> =>
      davRequest(server, 'GET', `${FILES}/${name}`, { headers: { range, ...headers } });

    test('GET and HEAD say Accept-Ranges: bytes; HEAD gives the whole length and no body', async () => {
      const head = await davRequest(server, 'HEAD', `${FILES}/big.bin`, { headers: { range: 'bytes=0-9' } });
      assert.equal(head.status, 200, 'Range is defined for GET only, so a HEAD describes the whole content');
      assert.equal(head.headers.get('accept-ranges'), 'bytes');
      assert.equal(head.headers.get('content-length'), String(big.length));
      assert.equal(await head.text(), '');
      assert.equal((await davRequest(server, 'GET', `${FILES}/big.bin`)).headers.get('accept-ranges'), 'bytes');
    });

    const cases: Array<[string, number, number]> = [
      ['bytes=0-9', 0, 9],
      ['bytes=1000-70000', 1000, 70000],
      ['bytes=199990-', 199990, 199999],
      ['bytes=-100', 199900, 199999],
      ['bytes=150000-999999999', 150000, 199999],
      ['bytes=-500000', 0, 199999],
      ['bytes=199999-199999', 199999, 199999],
    ];
    for (const [range, start, end] of cases) {
      test(`Range: ${range} answers 206 with bytes ${start}-${end}`, async () => {
        const response = await getRange('big.bin', range);
        assert.equal(response.status, 206);
        assert.equal(response.headers.get('content-range'), `bytes ${start}-${end}/${big.length}`);
        assert.equal(response.headers.get('content-length'), String(end - start + 1));
        assert.equal(response.headers.get('etag'), `"sha256-${sha256(big)}"`);
        const body = Buffer.from(await response.arrayBuffer());
        assert.ok(body.equals(big.subarray(start, end + 1)), `the body of ${range} is not bytes ${start}-${end}`);
      });
    }

    test('a range of inline content (a small file kept in the database) is served the same way', async () => {
      const response = await getRange('small.txt', 'bytes=2-6');
      assert.equal(response.status, 206);
      assert.equal(response.headers.get('content-range'), `bytes 2-6/${small.length}`);
      assert.equal(await response.text(), small.subarray(2, 7).toString());
    });

    test('a range that starts past the end answers 416 with Content-Range: bytes */SIZE', async () => {
      for (const range of ['bytes=200000-', 'bytes=300000-300010', 'bytes=-0']) {
        const response = await getRange('big.bin', range);
        assert.equal(response.status, 416, range);
        assert.equal(response.headers.get('content-range'), `bytes */${big.length}`, range);
        assert.match(await response.text(), /starts past the end of the content, which is 200000 bytes long/);
      }
    });

    test('several ranges, another unit or a malformed range are answered with the whole content (200)', async () => {
      for (const range of ['bytes=0-1,5-6', 'items=0-1', 'bytes=9-3', 'bytes=abc', 'bytes=-']) {
        const response = await getRange('big.bin', range);
        assert.equal(response.status, 200, range);
        assert.equal(response.headers.get('content-length'), String(big.length), range);
        assert.ok(Buffer.from(await response.arrayBuffer()).equals(big), range);
      }
    });

    test('If-Range with the current ETag serves the range; with another ETag or a date, the whole content', async () => {
      const etag = `"sha256-${sha256(big)}"`;
      assert.equal((await getRange('big.bin', 'bytes=0-9', { 'if-range': etag })).status, 206);
      const stale = await getRange('big.bin', 'bytes=0-9', { 'if-range': '"sha256-0000"' });
      assert.equal(stale.status, 200);
      assert.ok(Buffer.from(await stale.arrayBuffer()).equals(big));
      const dated = await getRange('big.bin', 'bytes=0-9', { 'if-range': new Date().toUTCString() });
      assert.equal(dated.status, 200);
      await dated.arrayBuffer();
    });

    test('a range of a blob damaged outside the range is not served complete: the hash covers the whole content', async () => {
      const bytes = numberedBytes(150_000, 99);
      assert.equal((await put(server, 'damaged.bin', bytes)).status, 201);
      const path = blobPath(server, sha256Hex(bytes));
      const onDisk = await readFile(path);
      onDisk.writeUInt8(onDisk.readUInt8(onDisk.length - 1) ^ 0xff, onDisk.length - 1);
      await writeFile(path, onDisk);
      const response = await getRange('damaged.bin', 'bytes=0-9');
      // Either the status says so, or the body stops short of its Content-Length.
      if (response.status === 206) {
        await assert.rejects(response.arrayBuffer(), 'the first ten bytes of a damaged blob were served complete');
      } else {
        assert.equal(response.status, 500);
      }
      assert.ok(server.logs.some((line) => line.includes('is corrupt')), 'the damage is logged for the operator');
    });

    test('HEAD and a 304 read no content: they answer even when the blob is missing from disk', async () => {
      const bytes = numberedBytes(100_000, 3);
      const etag = (await put(server, 'gone.bin', bytes)).headers.get('etag') ?? '';
      const path = blobPath(server, sha256Hex(bytes));
      await rename(path, `${path}.away`);
      try {
        const head = await davRequest(server, 'HEAD', `${FILES}/gone.bin`);
        assert.equal(head.status, 200);
        assert.equal(head.headers.get('content-length'), String(bytes.length));
        assert.equal((await davRequest(server, 'GET', `${FILES}/gone.bin`, { headers: { 'if-none-match': etag } })).status, 304);
        // A GET must read the content, and a missing blob is an error, never an empty answer.
        const get = await davRequest(server, 'GET', `${FILES}/gone.bin`);
        if (get.status === 200) await assert.rejects(get.arrayBuffer());
        else assert.equal(get.status, 500);
      } finally {
        await rename(`${path}.away`, path);
      }
    });
  });
});
