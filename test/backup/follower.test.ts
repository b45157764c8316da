// Continuous backup inside the server: every acknowledged write reaches the target, the
// lag is in /metrics, a restart resumes from the target's own checkpoint, and a restored
// store backs up as a new generation beside the old one, which stays restorable.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCatalog } from '../../src/backup/catalog.ts';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { restoreToPointInTime } from '../../src/backup/restore.ts';
import { startServer } from '../../src/server/start-server.ts';
import type { RunningServer } from '../../src/server/start-server.ts';
import { testConfig } from '../server/harness.ts';
import { made, openRestored } from './backup-fixture.ts';
import { storeWithUser } from './server-process.ts';

async function waitFor(what: string, check: () => Promise<boolean>): Promise<void> {
  // Bounded: 600 tries of 50 ms; the follower is woken by every commit.
  for (let i = 0; i < 600; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const contact = (n: number) => `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c${n}\r\nFN:Contact ${n}\r\nEND:VCARD\r\n`;

test('the server ships every write to its target, shows the lag in /metrics, and resumes after a restart; a restored store backs up as a new generation', { timeout: 120_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-follower-'));
  const running: RunningServer[] = [];
  try {
    const dataDir = join(root, 'data');
    const { authorization, storeId } = await storeWithUser(dataDir);
    const backupDir = await made(join(root, 'backup'));
    const config = testConfig(dataDir, { backupTargets: `dir:${backupDir}` });
    const logs: string[] = [];
    const put = (server: RunningServer, n: number) =>
      fetch(`${server.url}/api/v1/collections/contacts/items/c${n}.vcf`, { method: 'PUT', headers: { authorization, 'content-type': 'text/vcard' }, body: contact(n) });
    const metric = async (server: RunningServer, name: string) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
      return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
    };

    const first = await startServer(config, { log: (line) => logs.push(line) });
    running.push(first);
    for (let n = 0; n < 5; n += 1) assert.equal((await put(first, n)).status, 201);
    await waitFor('the target to catch up', async () => (await metric(first, 'holdfast_backup_behind_changes')) === 0);
    assert.equal(await metric(first, 'holdfast_backup_behind_seconds'), 0);
    assert.equal(await metric(first, 'holdfast_backup_target_healthy'), 1);
    const shipped = await metric(first, 'holdfast_backup_shipped_sequence');
    assert.ok(shipped !== null && shipped > 5);
    assert.ok(!logs.join('\n').includes('AWS_SECRET'), 'no credential is ever logged');
    await first.close();
    running.pop();

    // Restart: the shipper reads its checkpoint from the target and ships only what is new.
    const second = await startServer(config, { log: (line) => logs.push(line) });
    running.push(second);
    for (let n = 5; n < 8; n += 1) assert.equal((await put(second, n)).status, 201);
    await waitFor('the target to catch up again', async () => (await metric(second, 'holdfast_backup_behind_changes')) === 0);
    await second.close();
    running.pop();
    const target = await openDirectoryTarget(backupDir);
    const catalog = await readCatalog(target);
    assert.equal(catalog.kind, 'ok');
    if (catalog.kind !== 'ok') return;
    const g1 = catalog.catalog.generations[0];
    assert.ok(g1);
    assert.equal(g1.snapshots.length, 1, 'one snapshot: the restart did not start the generation over');
    const covered = g1.segments.flatMap((s) => [s.firstSeq, s.lastSeq]);
    assert.ok(Math.max(...covered) === g1.lastSeq);

    // Restore, serve the restored store with the same target: it backs up as generation 2.
    const restoredDir = join(root, 'restored');
    const outcome = await restoreToPointInTime({ target, to: restoredDir, point: { kind: 'latest' } });
    assert.equal(outcome.kind, 'restored');
    const third = await startServer(testConfig(restoredDir, { backupTargets: `dir:${backupDir}`, storeId }), { log: (line) => logs.push(line) });
    running.push(third);
    assert.equal((await put(third, 100)).status, 201);
    await waitFor('generation 2 to be backed up', async () => (await metric(third, 'holdfast_backup_behind_changes')) === 0);
    await third.close();
    running.pop();
    const after = await readCatalog(target);
    assert.deepEqual(after.kind === 'ok' ? after.catalog.generations.map((g) => g.generation) : [], [1, 2]);

    // The latest point is in generation 2 (with contact 100); sequence numbers of
    // generation 1 before the restore still restore generation 1's history.
    const latest = await restoreToPointInTime({ target, to: join(root, 'latest'), point: { kind: 'latest' } });
    assert.equal(latest.kind === 'restored' ? latest.generation : null, 3);
    const store = await openRestored(join(root, 'latest'));
    try {
      const anna = await store.accounts.getUserByName('anna');
      assert.ok(anna);
      assert.ok(await store.forUser(anna.id).getItem('contacts', 'c100.vcf'));
      assert.ok(await store.forUser(anna.id).getItem('contacts', 'c7.vcf'));
    } finally {
      await store.close();
    }
    await target.close();
  } finally {
    for (const server of running) await server.close();
    await rm(root, { recursive: true, force: true });
  }
});
