// `holdfast scrub` as an operator runs it: real processes on a real data directory. A bad
// blob is named and exits 1 until repaired from a backup target; a damaged metadata
// database is named loudly with the exact restore command, and that command works.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { holdfast, temporaryDirectory, withOpenStore } from '../cli/holdfast-process.ts';
import { made } from '../backup/backup-fixture.ts';
import { storeWithUser } from '../backup/server-process.ts';

let root: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
let backup: string;
const big = randomBytes(150 * 1024);
const bigHash = createHash('sha256').update(big).digest('hex');
const MARKER = 'FN:Unmistakable Marker Person';

before(async () => {
  root = await temporaryDirectory();
  dataDir = join(root.dir, 'data');
  await storeWithUser(dataDir);
  await withOpenStore(dataDir, async (store) => {
    const [anna] = await createAccounts(store.accounts).listUsers();
    const user = store.forUser(anna?.id ?? 0);
    await user.putItem('files', 'big.bin', big, { contentType: 'application/octet-stream', author: 'test' });
    await user.putItem('contacts', 'm.vcf', Buffer.from(`BEGIN:VCARD\r\nVERSION:4.0\r\nUID:m\r\n${MARKER}\r\nEND:VCARD\r\n`), { contentType: 'text/vcard', author: 'test' });
  });
  backup = await made(join(root.dir, 'backup'));
  const run = await holdfast(['backup', 'run', '--data', dataDir, '--target', `dir:${backup}`]);
  assert.equal(run.code, 0, run.stderr);
});
after(() => root.cleanup());

const blobFile = () => join(dataDir, 'blobs', bigHash.slice(0, 2), bigHash.slice(2, 4), bigHash);

test('a clean store scrubs clean', async () => {
  const result = await holdfast(['scrub', '--data', dataDir]);
  assert.equal(result.code, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /checked 1 blob\(s\) \(150.0 KiB\) and the metadata: 0 problem\(s\)/);
  assert.match(result.stderr, /scrubbing \[#+\] 1\/1 blob\(s\)/, 'progress lines on a pipe');
});

test('a flipped bit in a blob exits 1 naming it, and --repair-from repairs it', async () => {
  const bytes = await readFile(blobFile());
  bytes[4242] = (bytes[4242] ?? 0) ^ 0x04;
  await writeFile(blobFile(), bytes);

  const found = await holdfast(['scrub', '--data', dataDir, '--json']);
  assert.equal(found.code, 1);
  const report = JSON.parse(found.stdout) as { ok: boolean; problems: Array<{ kind: string; hash: string; repaired: boolean }> };
  assert.equal(report.ok, false);
  assert.deepEqual(report.problems.map((p) => [p.kind, p.hash, p.repaired]), [['blob-corrupt', bigHash, false]]);

  const repaired = await holdfast(['scrub', '--data', dataDir, '--repair-from', `dir:${backup}`]);
  assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
  assert.match(repaired.stdout, new RegExp(`REPAIRED  blob ${bigHash} is corrupt.*good copy from dir:${backup}.*quarantine`));
  assert.ok((await readFile(blobFile())).equals(big));
});

test('a flipped bit in stored inline content is caught by its hash', async () => {
  const path = join(dataDir, 'metadata.sqlite');
  const bytes = await readFile(path);
  const at = bytes.indexOf(MARKER);
  assert.ok(at > 0, 'the marker is in the database file');
  const original = Buffer.from(bytes);
  bytes[at + 5] = (bytes[at + 5] ?? 0) ^ 0x01;
  await writeFile(path, bytes);
  try {
    const result = await holdfast(['scrub', '--data', dataDir]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /DAMAGED   metadata: inline-hash-mismatch: revision \S+: inline content does not match/);
    assert.match(result.stderr, /THE METADATA DATABASE IS DAMAGED/);
  } finally {
    await writeFile(path, original);
  }
});

/** The b-tree pages of the database file: 2 (interior index), 5 (interior table), 10 (leaf index), 13 (leaf table). */
function btreePages(bytes: Buffer, pageSize: number): number[] {
  const pages: number[] = [];
  for (let page = 2; page * pageSize <= bytes.length; page += 1) {
    if ([2, 5, 10, 13].includes(bytes[(page - 1) * pageSize] ?? 0)) pages.push(page);
  }
  return pages;
}

test('bit flips in the SQLite file are detected, named, and the advised restore command works', async () => {
  const path = join(dataDir, 'metadata.sqlite');
  // The store closed cleanly: the WAL was checkpointed into the file, so the file is the database.
  const db = new Database(path, { readonly: true });
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const bytes = await readFile(path);
  const pages = btreePages(bytes, pageSize);
  assert.ok(pages.length > 3);
  // SQLite keeps no checksum of a page, so a flip is only detectable where it breaks the
  // structure; flip bits in the headers of three b-tree pages (the page type and the
  // first cell pointer), which any integrity_check must notice.
  for (const page of [pages[0], pages[Math.floor(pages.length / 2)], pages.at(-1)]) {
    const start = ((page ?? 2) - 1) * pageSize;
    bytes[start] = (bytes[start] ?? 0) ^ 0x40;
    bytes[start + 8] = (bytes[start + 8] ?? 0) ^ 0x80;
  }
  await writeFile(path, bytes);

  const result = await holdfast(['scrub', '--data', dataDir, '--json']);
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const report = JSON.parse(result.stdout) as { metadataOk: boolean; problems: Array<{ kind: string }>; restoreAdvice: string };
  assert.equal(report.metadataOk, false);
  assert.ok(report.problems.some((p) => p.kind === 'metadata-corrupt'));
  const plain = await holdfast(['scrub', '--data', dataDir, '--repair-from', `dir:${backup}`]);
  assert.equal(plain.code, 1);
  assert.match(plain.stderr, /THE METADATA DATABASE IS DAMAGED/);
  const command = new RegExp(`holdfast restore --from dir:${backup} --to ${dataDir} --force`);
  assert.match(plain.stderr, command);
  assert.match(plain.stdout, /DAMAGED   metadata: /);

  // The advice, run as written, gives back a store that scrubs clean.
  const restored = await holdfast(['restore', '--from', `dir:${backup}`, '--to', dataDir, '--force']);
  assert.equal(restored.code, 0, restored.stdout + restored.stderr);
  const after = await holdfast(['scrub', '--data', dataDir]);
  assert.equal(after.code, 0, after.stdout + after.stderr);
});
