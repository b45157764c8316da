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
    await replica.close();
  } finally {
    IDBDatabase.prototype.transaction = original;
  }
  return seen;
}

Object.assign(globalThis, { runContractCase, readwriteDurabilities, contractReady: true });
