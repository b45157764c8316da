// Fills a bench server's account through the sync API itself (bare pushes, several at once so
// the server's group commit shares fsyncs), the way a phone that already held the data would
// put it on a new server: contacts as vCards inline, photos uploaded first, then pushed by hash.
import { createHash, randomBytes } from 'node:crypto';
import { benchVCard, itemName } from './dav-requests.ts';
import type { BenchServer } from './dav-server.ts';

const PUSH_SIZE = 100;
const CONCURRENCY = 8;

async function pushBatch(server: BenchServer, revisions: Record<string, unknown>[]): Promise<void> {
  const response = await fetch(`${server.url}/api/v1/sync/push`, {
    method: 'POST',
    headers: { authorization: server.authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ revisions }),
  });
  const answer = (await response.json()) as { results?: { result: string; message?: string }[] };
  const bad = (answer.results ?? []).find((r) => r.result !== 'applied' && r.result !== 'already-applied');
  if (!response.ok || bad) throw new Error(`seeding push failed: HTTP ${response.status} ${JSON.stringify(bad ?? answer).slice(0, 300)}`);
}

/** Runs `task(i)` for i in [0, count) with a few at a time; reports every `every` done. */
async function inParallel(count: number, task: (index: number) => Promise<void>, progress: (done: number) => void, every: number): Promise<void> {
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const index = next++;
        await task(index);
        done += 1;
        if (done % every === 0 || done === count) progress(done);
      }
    }),
  );
}

const base = (index: number) => ({ baseRevisionId: null, deleted: false, author: 'device:bench-seed', createdAt: new Date(Date.UTC(2026, 0, 1) + index * 1000).toISOString() });

/** Pushes `count` revisions made by `revisionAt(index)`, PUSH_SIZE a request, a few requests at a time. */
async function pushAll(server: BenchServer, count: number, revisionAt: (index: number) => Record<string, unknown>, progress: (done: number) => void, every: number): Promise<void> {
  const batches = Math.ceil(count / PUSH_SIZE);
  await inParallel(
    batches,
    (batch) => {
      const revisions = [];
      for (let index = batch * PUSH_SIZE; index < Math.min(count, (batch + 1) * PUSH_SIZE); index++) revisions.push(revisionAt(index));
      return pushBatch(server, revisions);
    },
    (done) => progress(Math.min(count, done * PUSH_SIZE)),
    Math.max(1, Math.round(batches / every)),
  );
}

export async function seedContacts(server: BenchServer, count: number): Promise<void> {
  await pushAll(
    server,
    count,
    (index) => ({
      id: `seed-contact-${index}-${randomBytes(6).toString('hex')}`,
      collection: { path: 'contacts', kind: 'contacts' },
      item: itemName(index),
      content: Buffer.from(benchVCard(index), 'utf8').toString('base64'),
      contentType: 'text/vcard',
      ...base(index),
    }),
    (done) => console.log(`  seeded ${done} / ${count} contacts`),
    5,
  );
}

/** Stand-in photo content: random bytes (incompressible, as a JPEG is), distinct per photo. They
 * do not start like an image, so the server's photo indexer skips them rather than spend the
 * CPU the benchmark measures on decoding. */
export function photoBytes(index: number, size: number): Buffer {
  const bytes = randomBytes(size);
  bytes.writeUInt32BE(index, 0);
  return bytes;
}

export async function seedPhotos(server: BenchServer, count: number, size: number): Promise<void> {
  const hashes: string[] = new Array<string>(count);
  await inParallel(
    count,
    async (index) => {
      const bytes = photoBytes(index, size);
      const hash = createHash('sha256').update(bytes).digest('hex');
      const response = await fetch(`${server.url}/api/v1/sync/blobs/${hash}`, {
        method: 'PUT',
        headers: { authorization: server.authorization, 'content-type': 'application/octet-stream' },
        body: bytes,
      });
      if (!response.ok) throw new Error(`uploading photo ${index} failed: HTTP ${response.status} ${await response.text()}`);
      hashes[index] = hash;
    },
    (done) => console.log(`  uploaded ${done} / ${count} photos`),
    Math.max(1, Math.round(count / 5)),
  );
  await pushAll(
    server,
    count,
    (index) => ({
      id: `seed-photo-${index}-${randomBytes(6).toString('hex')}`,
      collection: { path: `photos/${2020 + (index % 5)}`, kind: 'files' },
      item: `IMG_${String(index).padStart(5, '0')}.jpg`,
      contentHash: hashes[index],
      contentType: 'image/jpeg',
      ...base(index),
    }),
    () => undefined,
    1,
  );
  console.log(`  pushed the ${count} photos' revisions`);
}
