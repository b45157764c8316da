// Runs the replica contract in a page, on the IndexedDB engine. The Node test calls
// runContractCase(index, name) once per case and reports each as its own test.
import { openIndexedDbReplica } from '../../../../client/replica-idb.ts';
import { replicaContract, type ReplicaEngine } from '../../replica-contract.ts';

const engine: ReplicaEngine = { open: (name) => openIndexedDbReplica(name) };

/** null when the case passed; else the failure, with its stack. */
async function runContractCase(index: number, name: string): Promise<string | null> {
  const contractCase = replicaContract[index];
  if (!contractCase) return `no contract case ${index}`;
  try {
    await contractCase.run(engine, name);
    return null;
  } catch (error) {
    return error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
}

/**
 * The durability every readwrite transaction of the IndexedDB replica was opened with, while
 * it makes a local write, applies a pull, acknowledges a revision and clears the cursor.
 */
async function readwriteDurabilities(name: string): Promise<string[]> {
  const seen: string[] = [];
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with apply, on the database it belongs to
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
    const transaction = original.apply(this, args);
    if (transaction.mode === 'readwrite') seen.push(transaction.durability);
    return transaction;
  };
  try {
    const replica = await openIndexedDbReplica(name);
    const revision = {
      id: 'durable-1', collectionPath: 'notes', kind: 'notes', item: 'a.txt', parentId: null, deleted: false,
      content: new Uint8Array([1]), contentHash: 'h', contentType: 'text/plain', author: 'device:d',
      createdAt: '2026-01-01T00:00:00.000Z', local: true, state: 'pending' as const, refusal: null,
    };
    await replica.addRevision(revision, true);
    await replica.applyPull([{ revision: { ...revision, id: 'durable-2', parentId: 'durable-1', local: false, state: 'acked' }, makeHead: true }], {
      cursor: 'c', storeId: 's', generation: 1, sequence: 1,
    });
    await replica.setState('durable-1', 'acked');
    await replica.setCursor(undefined);
    await replica.updateCollection('notes', () => ({ path: 'notes', kind: 'notes', serverId: 1, props: { displayName: 'Notes' }, pendingProps: null, deleted: false, pendingDelete: false }));
    await replica.moveCollection('notes', 'journal');
    await replica.close();
  } finally {
    IDBDatabase.prototype.transaction = original;
  }
  return seen;
}

/**
 * A replica made by the first version of the engine (revisions, items and the cursor; no
 * collections) opens with everything it held, and keeps collections from then on. null when
 * it does; else what went wrong.
 */
async function upgradeFromFirstVersion(name: string): Promise<string | null> {
  const first = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = indexedDB.open(name, 1);
    opening.onupgradeneeded = () => {
      const database = opening.result;
      const revisions = database.createObjectStore('revisions', { keyPath: 'ord', autoIncrement: true });
      revisions.createIndex('id', 'id', { unique: true });
      revisions.createIndex('state', 'state');
      database.createObjectStore('items', { keyPath: ['collectionPath', 'name'] });
      database.createObjectStore('meta');
    };
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error ?? new Error('open failed'));
  });
  const revision = {
    id: 'v1-rev', collectionPath: 'notes', kind: 'notes', item: 'kept.txt', parentId: null, deleted: false,
    content: new Uint8Array([7]), contentHash: 'h', contentType: 'text/plain', author: 'device:d',
    createdAt: '2026-01-01T00:00:00.000Z', local: true, state: 'pending', refusal: null,
  };
  await new Promise<void>((resolve, reject) => {
    const tx = first.transaction(['revisions', 'items', 'meta'], 'readwrite');
    tx.objectStore('revisions').add(revision);
    tx.objectStore('items').put({ collectionPath: 'notes', kind: 'notes', name: 'kept.txt', headId: 'v1-rev', deleted: false, content: new Uint8Array([7]), contentType: 'text/plain' });
    tx.objectStore('meta').put({ cursor: 'c1', storeId: 's', generation: 1, sequence: 5 }, 'cursor');
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('write failed'));
  });
  first.close();

  const replica = await openIndexedDbReplica(name);
  try {
    if ((await replica.getItem('notes', 'kept.txt'))?.headId !== 'v1-rev') return 'the item written by the first version is gone';
    if ((await replica.outbox()).map((r) => r.id).join() !== 'v1-rev') return 'the outbox written by the first version is gone';
    if ((await replica.getCursor())?.sequence !== 5) return 'the cursor written by the first version is gone';
    if ((await replica.listCollections()).length !== 0) return 'an upgraded replica should start with no collections';
    await replica.updateCollection('notes', () => ({ path: 'notes', kind: 'notes', serverId: null, props: { displayName: 'Notes' }, pendingProps: null, deleted: false, pendingDelete: false }));
    if ((await replica.getCollection('notes'))?.props.displayName !== 'Notes') return 'the upgraded replica does not keep collections';
    return null;
  } finally {
    await replica.close();
  }
}

Object.assign(globalThis, { runContractCase, readwriteDurabilities, upgradeFromFirstVersion, contractReady: true });
