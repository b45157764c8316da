// A full disk: every write that meets it (a blob over the JSON API, over WebDAV, a tus
// upload, and SQLite's own writes over the JSON API and CardDAV) fails with 507 and a message saying what to do, keeps
// nothing of itself (no temp file, no blob, no metadata), and reads keep working.
//
// The disk is real: a small tmpfs mounted for the test (we run as root in CI). Where
// mounting is not allowed (a developer's machine without root, a locked-down container)
// the test skips, and fails under CI=true, because an injected ENOSPC would prove less
// than a real full file system.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sendJson, startHarness, type Harness } from './harness.ts';

const SIZE_MIB = 24;

function tryMount(dir: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

const root = await mkdtemp(join(tmpdir(), 'holdfast-disk-full-'));
const mountPoint = join(root, 'disk');
await import('node:fs/promises').then((fs) => fs.mkdir(mountPoint));
const mountProblem = tryMount(mountPoint);
if (mountProblem !== null && process.env.CI === 'true') throw new Error(`CI must be able to mount a tmpfs for the disk-full test: ${mountProblem}`);
const skip = mountProblem === null ? false : `cannot mount a small tmpfs here (${mountProblem.split('\n')[0]}); run as root to test a real full disk`;

/** Fills the file system with a filler file, then frees `leaveBytes` of it. */
async function fillDisk(dir: string, leaveBytes: number): Promise<string> {
  const path = join(dir, `filler-${Date.now()}`);
  const handle = await open(path, 'wx');
  try {
    for (const size of [1024 * 1024, 64 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          await handle.write(chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close();
  }
  const { size } = await stat(path);
  await truncate(path, Math.max(0, size - leaveBytes));
  return path;
}

/** Sends a body the server may refuse before it has read it all: the answer is what
 * counts, so a write that fails because the server stopped reading is ignored (fetch
 * would report the reset instead of the answer). */
function send(url: string, method: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, 'content-length': String(body.length) } }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    // EPIPE: the server stopped reading and answered; the answer still arrives. A reset
    // before any answer is a failure of the test, reported as status 0.
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') resolve({ status: 0, text: `no answer: ${error.message}` });
    });
    req.end(body);
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

describe('a full disk', { skip }, () => {
  let server: Harness;
  let dataDir: string;
  let api: string;
  const kept = randomBytes(200 * 1024);
  let filler: string;

  before(async () => {
    dataDir = join(mountPoint, 'data');
    server = await startHarness({ dataDir });
    api = `${server.url}/api/v1`;
    await sendJson(`${api}/collections/files`, 'PUT', server.appPassword.alice, { kind: 'files' });
    const put = await fetch(`${api}/collections/files/items/kept.bin`, { method: 'PUT', headers: { authorization: server.appPassword.alice, 'content-type': 'application/octet-stream' }, body: kept });
    assert.equal(put.status, 201);
    filler = await fillDisk(mountPoint, 512 * 1024);
  });
  after(async () => {
    if (process.env.DEBUG_DISK_FULL) console.log(server.logs.filter((l) => l.includes('"level":50')).join('\n'));
    await server?.close();
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  async function assertNothingKept(content: Buffer): Promise<void> {
    const hash = createHash('sha256').update(content).digest('hex');
    const files = await filesUnder(join(dataDir, 'blobs'));
    assert.deepEqual(files.filter((f) => f.includes(`${join('blobs', 'tmp')}/`)), [], 'no temporary file is left');
    assert.ok(!files.some((f) => f.endsWith(hash)), 'no blob of the refused content');
  }

  async function assertReadsWork(): Promise<void> {
    const response = await fetch(`${api}/collections/files/items/kept.bin`, { headers: { authorization: server.appPassword.alice } });
    assert.equal(response.status, 200);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(kept));
  }

  test('a PUT over the JSON API answers 507 insufficient-storage and keeps nothing', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const response = await send(`${api}/collections/files/items/big.bin`, 'PUT', { authorization: server.appPassword.alice, 'content-type': 'application/octet-stream' }, big);
    assert.equal(response.status, 507, response.text);
    const body = JSON.parse(response.text) as { error: string; message: string };
    assert.equal(body.error, 'insufficient-storage');
    assert.match(body.message, /disk is full.*free space/);
    await assertNothingKept(big);
    const gone = await fetch(`${api}/collections/files/items/big.bin`, { headers: { authorization: server.appPassword.alice } });
    assert.equal(gone.status, 404, 'no metadata for the refused write');
    await gone.arrayBuffer();
    await assertReadsWork();
  });

  test('a WebDAV PUT answers 507 with a DAV error body and keeps nothing', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const response = await send(`${server.url}/dav/alice/files/dav-big.bin`, 'PUT', { authorization: server.appPassword.alice, 'content-type': 'application/octet-stream' }, big);
    assert.equal(response.status, 507, response.text);
    assert.match(response.text, /disk is full/);
    await assertNothingKept(big);
    const gone = await fetch(`${server.url}/dav/alice/files/dav-big.bin`, { headers: { authorization: server.appPassword.alice } });
    assert.equal(gone.status, 404);
    await gone.arrayBuffer();
    await assertReadsWork();
  });

  test('a tus upload that meets the full disk answers 507 and stores no item', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const created = await fetch(`${api}/uploads`, {
      method: 'POST',
      headers: { 'tus-resumable': '1.0.0', authorization: server.appPassword.alice, 'upload-length': String(big.length), 'upload-metadata': `path ${Buffer.from('files/tus-big.bin').toString('base64')}` },
    });
    assert.equal(created.status, 201, await created.text());
    const url = new URL(created.headers.get('location') ?? '', server.url).href;
    const response = await send(url, 'PATCH', { 'tus-resumable': '1.0.0', authorization: server.appPassword.alice, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' }, big);
    assert.equal(response.status, 507, response.text);
    // The bytes the upload received before the disk filled stay with the upload (that is
    // what makes it resumable) until it expires; the store holds nothing of it.
    await assertNothingKept(big);
    const gone = await fetch(`${api}/collections/files/items/tus-big.bin`, { headers: { authorization: server.appPassword.alice } });
    assert.equal(gone.status, 404);
    await gone.arrayBuffer();
    await assertReadsWork();
  });

  test('when SQLite itself cannot grow, small writes answer 507; every one answered 201 is kept, and reads work', async () => {
    await rm(filler);
    filler = await fillDisk(mountPoint, 0);
    const stored: string[] = [];
    let refused: { name: string; status: number; body: string } | null = null;
    for (let i = 0; i < 2000 && refused === null; i += 1) {
      const name = `small-${i}.txt`;
      const response = await fetch(`${api}/collections/files/items/${name}`, { method: 'PUT', headers: { authorization: server.appPassword.alice, 'content-type': 'text/plain' }, body: `note ${i} `.repeat(400) });
      const body = await response.text();
      if (response.status === 201) stored.push(name);
      else refused = { name, status: response.status, body };
    }
    assert.ok(refused, 'a write met the full disk');
    // A vCard over CardDAV meets the same full database: 507 with a DAV error body.
    const card = await fetch(`${server.url}/dav/alice/contacts/full.vcf`, {
      method: 'PUT',
      headers: { authorization: server.appPassword.alice, 'content-type': 'text/vcard' },
      body: `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:full\r\nFN:${'Full Disk '.repeat(300)}\r\nEND:VCARD\r\n`,
    });
    const cardBody = await card.text();
    assert.equal(card.status, 507, cardBody);
    assert.match(cardBody, /<d:error|<D:error|error/);
    assert.match(cardBody, /disk is full/);
    assert.equal(refused.status, 507, refused.body);
    assert.match(refused.body, /insufficient-storage/);
    const gone = await fetch(`${api}/collections/files/items/${refused.name}`, { headers: { authorization: server.appPassword.alice } });
    assert.equal(gone.status, 404);
    await gone.arrayBuffer();
    for (const name of stored) {
      const response = await fetch(`${api}/collections/files/items/${name}`, { headers: { authorization: server.appPassword.alice } });
      assert.equal(response.status, 200, name);
      await response.arrayBuffer();
    }
    await assertReadsWork();
    // Room again: writes work again.
    await rm(filler);
    const again = await fetch(`${api}/collections/files/items/after.txt`, { method: 'PUT', headers: { authorization: server.appPassword.alice, 'content-type': 'text/plain' }, body: 'room again' });
    assert.equal(again.status, 201);
  });
});
