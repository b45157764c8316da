// One workload for every ReplicaStore engine, so SQLite on Node and IndexedDB in Chromium are
// measured the same way (bench/replica-engines.ts). It imports nothing from Node: the
// browser bundle takes it too.
import type { ReplicaRevision, ReplicaStore } from '../client/replica.ts';

export interface ReplicaFigures {
  /** Sequential local writes (revision and head, each its own durable transaction). */
  writesPerSecond: number;
  writeMedianMs: number;
  /** One pull of `pullRevisions` revisions applied in one transaction. */
  pullRevisions: number;
  pullMs: number;
  /** Listing every item, and reading the outbox, once the replica holds them all. */
  listItemsMs: number;
  outboxMs: number;
  /** One local write of 5 MiB. */
  largeWriteMs: number;
}

const WRITES = 300;
const PULL = 2000;

function revision(id: string, item: string, content: Uint8Array, local: boolean): ReplicaRevision {
  return {
    id,
    collectionPath: 'notes',
    kind: 'notes',
    item,
    parentId: null,
    deleted: false,
    content,
    contentHash: `hash-${id}`,
    contentType: 'application/octet-stream',
    author: 'device:bench',
    createdAt: '2026-01-01T00:00:00.000Z',
    local,
    state: local ? 'pending' : 'acked',
    refusal: null,
  };
}

export async function measureReplica(replica: ReplicaStore, now: () => number): Promise<ReplicaFigures> {
  const content = Uint8Array.from({ length: 1024 }, (_, i) => (i * 31) % 256);
  const durations: number[] = [];
  const writesStart = now();
  for (let index = 0; index < WRITES; index += 1) {
    const start = now();
    await replica.addRevision(revision(`w-${index}`, `w-${index}.bin`, content, true), true);
    durations.push(now() - start);
  }
  const writesMs = now() - writesStart;
  durations.sort((a, b) => a - b);

  const steps = Array.from({ length: PULL }, (_, index) => ({ revision: revision(`p-${index}`, `p-${index}.bin`, content, false), makeHead: true }));
  const pullStart = now();
  await replica.applyPull(steps, { cursor: 'c', storeId: 'bench', generation: 1, sequence: PULL });
  const pullMs = now() - pullStart;

  let start = now();
  const items = await replica.listItems();
  const listItemsMs = now() - start;
  if (items.length !== WRITES + PULL) throw new Error(`expected ${WRITES + PULL} items, found ${items.length}`);
  start = now();
  await replica.outbox();
  const outboxMs = now() - start;

  const large = Uint8Array.from({ length: 5 * 1024 * 1024 }, (_, i) => (i * 2654435761) >>> 24);
  start = now();
  await replica.addRevision(revision('large', 'large.bin', large, true), true);
  const largeWriteMs = now() - start;

  return {
    writesPerSecond: Math.round((WRITES / writesMs) * 1000),
    writeMedianMs: durations[Math.floor(durations.length / 2)] ?? 0,
    pullRevisions: PULL,
    pullMs,
    listItemsMs,
    outboxMs,
    largeWriteMs,
  };
}
