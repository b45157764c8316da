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

Object.assign(globalThis, { runContractCase, contractReady: true });
