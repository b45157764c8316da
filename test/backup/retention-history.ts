// A backup history over a hundred simulated days (no sleeping: the store, the shipper and
// retention read one injected clock), on a real store and a real target, with the store's
// exact state recorded at every sequence number so any restored point can be compared.
//
// Days 0-40: generation 1, two writes a day and a pass a day, a snapshot every two days;
// on day 40 a blob that only generation 1 ever holds. Then the store is restored to day
// 35 (generation 2, backed up to the same target) and days 41-99 go on there.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restoreToPointInTime } from '../../src/backup/restore.ts';
import { TargetShipper } from '../../src/backup/ship.ts';
import { openBackupSource } from '../../src/backup/sqlite-source.ts';
import type { BackupTarget } from '../../src/backup/target.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { INLINE_LIMIT, readAll, vcard } from './backup-fixture.ts';

export const DAY_MS = 24 * 60 * 60 * 1000;
export const START = Date.parse('2026-01-01T00:00:00Z');

export interface History {
  root: string;
  /** The store's contents (collection/name → base64) at each `generation:seq`. */
  states: Map<string, Map<string, string>>;
  /** The day the simulation ended on (the clock retention is run with). */
  now: Date;
  /** The sequence number of each day's last change (generation 2 for days 41 on). */
  lastOfDay: Map<number, number>;
  /** The blob only generation 1 holds. */
  lateBlob: string;
  userId: number;
  cleanup(): Promise<void>;
}

export function dayAt(day: number, minutes = 0): Date {
  return new Date(START + day * DAY_MS + 12 * 60 * 60 * 1000 + minutes * 60 * 1000);
}

export async function buildHistory(target: BackupTarget): Promise<History> {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-retention-'));
  let clock = dayAt(0);
  const now = () => clock;
  const states = new Map<string, Map<string, string>>();
  const current = new Map<string, string>();

  const open = async (dataDir: string) => {
    const opened = await openStore({ dataDir, initializeIfEmpty: true, inlineLimitBytes: INLINE_LIMIT, cleanTemporaryFiles: true, now });
    if (opened.kind !== 'opened') throw new Error(opened.reason);
    return opened.store;
  };
  let store: Store = await open(join(root, 'data1'));
  let source = openBackupSource(join(root, 'data1'));
  let shipper = new TargetShipper(target, { store, source, snapshotEveryChanges: 4, now });
  const created = await store.accounts.createUser('anna', 'hash');
  if (created.kind !== 'created') throw new Error('no user');
  const userId = created.user.id;
  let generation = (await store.identity()).generation;
  let lastSeq = 0;
  const lastOfDay = new Map<number, number>();
  const record = (seq: number) => {
    lastSeq = seq;
    states.set(`${generation}:${seq}`, new Map(current));
  };
  const write = async (collection: string, name: string, content: Buffer, contentType: string) => {
    const result = await store.forUser(userId).putItem(collection, name, content, { contentType, author: 'test' });
    if (result.kind !== 'written') throw new Error(`write failed: ${result.kind}`);
    current.set(`${collection}/${name}`, content.toString('base64'));
    record(result.revision.seq);
  };
  // Every user has a 'files' folder.
  record((await store.identity()).sequence);

  const day = async (d: number, extra?: () => Promise<void>) => {
    clock = dayAt(d);
    await write('contacts', 'bob.vcf', vcard('bob', `Bob on day ${d}`), 'text/vcard');
    clock = dayAt(d, 10);
    // Larger than the inline limit: a blob; every third day the same bytes come back.
    const bytes = d % 3 === 0 ? Buffer.alloc(INLINE_LIMIT * 3, 7) : Buffer.concat([Buffer.from(`day ${d} `), randomBytes(INLINE_LIMIT * 2)]);
    await write('files', 'photo.jpg', bytes, 'image/jpeg');
    if (extra) await extra();
    lastOfDay.set(d, lastSeq);
    clock = dayAt(d, 30);
    await shipper.pass();
  };

  for (let d = 0; d <= 39; d += 1) await day(d);
  const lateBlob = randomBytes(INLINE_LIMIT * 4);
  await day(40, async () => {
    clock = dayAt(40, 20);
    await write('files', 'late.bin', lateBlob, 'application/octet-stream');
  });
  // Back to day 35's last change, as a new generation backed up to the same target.
  const restoreSeq = lastOfDay.get(35) ?? 0;
  const restoredState = states.get(`${generation}:${restoreSeq}`);
  if (restoredState === undefined) throw new Error('no state to restore to');
  source.close();
  await store.close();
  clock = dayAt(40, 45);
  const outcome = await restoreToPointInTime({ target, to: join(root, 'data2'), point: { kind: 'seq', seq: restoreSeq }, now });
  if (outcome.kind !== 'restored') throw new Error(JSON.stringify(outcome));
  store = await open(join(root, 'data2'));
  source = openBackupSource(join(root, 'data2'));
  shipper = new TargetShipper(target, { store, source, snapshotEveryChanges: 4, now });
  generation = outcome.generation;
  current.clear();
  for (const [k, v] of restoredState) current.set(k, v);
  record(outcome.seq);
  await shipper.pass();
  for (let d = 41; d <= 99; d += 1) await day(d);
  source.close();
  await store.close();
  return {
    root,
    states,
    now: dayAt(100),
    lastOfDay,
    lateBlob: lateBlob.toString('base64'),
    userId,
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** What a store holds, as `buildHistory` records it. */
export async function contentsOf(store: Store, userId: number): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const collection of ['contacts', 'files']) {
    for (const item of (await store.forUser(userId).listItems(collection)) ?? []) {
      if (item.deleted) continue;
      found.set(`${collection}/${item.name}`, (await readAll(await store.forUser(userId).readContent(item.head.id))).toString('base64'));
    }
  }
  return found;
}

/** Every object of one target copied to another (a pristine copy for each crash). */
export async function copyTarget(from: BackupTarget, to: BackupTarget): Promise<void> {
  for (const object of await from.list('')) {
    const data = await from.get(object.key);
    if (data !== null) await to.put(object.key, data);
  }
}

/** A target whose deletes fail after `allowed` of them: a crash in the middle of a prune. */
export function crashingAfter(inner: BackupTarget, allowed: number): BackupTarget & { deletes: number } {
  const wrapped = {
    deletes: 0,
    description: inner.description,
    put: (key: string, data: Uint8Array) => inner.put(key, data),
    putStream: (key: string, source: AsyncIterable<Uint8Array>) => inner.putStream(key, source),
    get: (key: string) => inner.get(key),
    list: (prefix: string) => inner.list(prefix),
    head: (key: string) => inner.head(key),
    async delete(key: string) {
      if (wrapped.deletes >= allowed) throw new Error('simulated crash during prune');
      wrapped.deletes += 1;
      await inner.delete(key);
    },
    close: () => inner.close(),
  };
  return wrapped;
}
