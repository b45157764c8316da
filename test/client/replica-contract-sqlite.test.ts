// The replica contract (replica-contract.ts) on the SQLite engine, in files that are really
// closed and reopened.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import { replicaContract, type ReplicaEngine } from './replica-contract.ts';

describe('replica contract: SQLite', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdfast-replica-contract-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const engine: ReplicaEngine = { open: async (name) => openSqliteReplica(join(dir, `${name}.sqlite`)) };
  for (const [index, contractCase] of replicaContract.entries()) {
    it(contractCase.name, () => contractCase.run(engine, `case-${index}`));
  }
});
