// What clients and operators see around a restore: a clean shutdown leaves nothing
// unshipped, and a device's sync token from before the restore is refused (a new
// generation), so it re-syncs instead of trusting a history that was rewound.
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

const syncReport = (token: string) =>
  `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;

test('a clean shutdown ships every write, and a sync token from before a restore is refused with valid-sync-token', { timeout: 120_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-after-restore-'));
  const running: RunningServer[] = [];
  try {
    const dataDir = join(root, 'data');
    const { authorization } = await storeWithUser(dataDir);
    const backupDir = await made(join(root, 'backup'));
    const server = await startServer(testConfig(dataDir, { backupTargets: `dir:${backupDir}` }), { log: () => undefined });
    running.push(server);
    const dav = (s: RunningServer, path: string, init: RequestInit) =>
      fetch(`${s.url}/dav/anna/${path}`, { ...init, headers: { authorization, ...(init.headers as Record<string, string>) } });
    for (let n = 0; n < 20; n += 1) {
      const answer = await dav(server, `contacts/c${n}.vcf`, {
        method: 'PUT',
        headers: { 'content-type': 'text/vcard' },
        body: `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c${n}\r\nFN:Contact ${n}\r\nEND:VCARD\r\n`,
      });
      assert.equal(answer.status, 201);
    }
    const before = await dav(server, 'contacts/', { method: 'REPORT', headers: { 'content-type': 'application/xml', depth: '1' }, body: syncReport('') });
    assert.equal(before.status, 207);
    const token = /<[a-z]*:?sync-token>([^<]+)</i.exec(await before.text())?.[1];
    assert.ok(token);
    // Closed at once, without waiting for the follower: its last pass runs on the way out.
    await server.close();
    running.pop();

    const check = await openRestored(dataDir);
    const sequence = (await check.identity()).sequence;
    await check.close();
    const target = await openDirectoryTarget(backupDir);
    const catalog = await readCatalog(target);
    assert.equal(catalog.kind === 'ok' ? catalog.catalog.generations[0]?.lastSeq : null, sequence);

    const restoredDir = join(root, 'restored');
    assert.equal((await restoreToPointInTime({ target, to: restoredDir, point: { kind: 'latest' } })).kind, 'restored');
    const restored = await startServer(testConfig(restoredDir), { log: () => undefined });
    running.push(restored);
    const stale = await dav(restored, 'contacts/', { method: 'REPORT', headers: { 'content-type': 'application/xml', depth: '1' }, body: syncReport(token) });
    assert.equal(stale.status, 403);
    assert.match(await stale.text(), /valid-sync-token/);
    const fresh = await dav(restored, 'contacts/', { method: 'REPORT', headers: { 'content-type': 'application/xml', depth: '1' }, body: syncReport('') });
    assert.equal(fresh.status, 207);
    assert.equal((await fresh.text()).match(/c\d+\.vcf/g)?.length, 20);
    await target.close();
  } finally {
    for (const server of running) await server.close();
    await rm(root, { recursive: true, force: true });
  }
});
