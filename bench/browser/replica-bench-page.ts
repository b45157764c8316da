// The replica workload on the IndexedDB engine, in a page (bench/replica-engines.ts).
import { openIndexedDbReplica } from '../../client/replica-idb.ts';
import { measureReplica, type ReplicaFigures } from '../replica-workload.ts';

async function runReplicaBench(): Promise<ReplicaFigures> {
  const replica = await openIndexedDbReplica('holdfast-bench');
  try {
    return await measureReplica(replica, () => performance.now());
  } finally {
    await replica.close();
  }
}

Object.assign(globalThis, { runReplicaBench, benchReady: true });
