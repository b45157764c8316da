// The scrub as the server runs it: a background pass finds a rotted blob, repairs it from
// the backup target, logs it, and /metrics counts it; the checkpoint records the pass.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import Fastify from 'fastify';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { TargetShipper } from '../../src/backup/ship.ts';
import { openBackupSource } from '../../src/backup/sqlite-source.ts';
import type { BackupTarget } from '../../src/backup/target.ts';
import { startBackgroundScrub } from '../../src/scrub/background-scrub.ts';
import { readCheckpoint } from '../../src/scrub/checkpoint.ts';
import { repairSourceFrom } from '../../src/scrub/repair-source.ts';
import { ScrubStatus } from '../../src/scrub/scrub-status.ts';
import { installMetrics } from '../../src/server/metrics.ts';
import { openLocalDirectoryBlobs } from '../../src/store/blobs/local-directory.ts';
import { sendJson, startHarness, type Harness } from '../server/harness.ts';

let server: Harness;
let target: BackupTarget;
const content = randomBytes(100 * 1024);
const hash = createHash('sha256').update(content).digest('hex');

before(async () => {
  server = await startHarness();
  await sendJson(`${server.url}/api/v1/collections/files`, 'PUT', server.appPassword.alice, { kind: 'files' });
  const put = await fetch(`${server.url}/api/v1/collections/files/items/a.bin`, { method: 'PUT', headers: { authorization: server.appPassword.alice, 'content-type': 'application/octet-stream' }, body: content });
  assert.equal(put.status, 201);
  const dir = join(server.dataDir, '..', 'target');
  await mkdir(dir);
  target = await openDirectoryTarget(dir);
  const source = openBackupSource(server.dataDir);
  try {
    await new TargetShipper(target, { store: server.store, source }).pass();
  } finally {
    source.close();
  }
});
after(async () => {
  await target.close();
  await server.close();
});

test('a background pass repairs a rotted blob, logs it and counts it in /metrics', async () => {
  const path = join(server.dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash);
  const bytes = await readFile(path);
  bytes[777] = (bytes[777] ?? 0) ^ 0x20;
  await writeFile(path, bytes);

  const status = new ScrubStatus();
  const app = Fastify();
  installMetrics(app, server.store, undefined, undefined, { dataDir: server.dataDir, scrub: status });
  const logs: Array<{ level: string; message: string }> = [];
  const log = {
    info: (_d: object, message: string) => logs.push({ level: 'info', message }),
    warn: (_d: object, message: string) => logs.push({ level: 'warn', message }),
    error: (_d: object, message: string) => logs.push({ level: 'error', message }),
  };
  const scrub = startBackgroundScrub({
    dataDir: server.dataDir,
    store: server.store,
    blobs: await openLocalDirectoryBlobs(join(server.dataDir, 'blobs')),
    repair: repairSourceFrom([target], undefined),
    bytesPerSecond: 1024 * 1024,
    intervalHours: 24,
    status,
    log,
    firstDelayMs: 0,
  });
  try {
    for (let i = 0; i < 100 && status.passesCompleted === 0; i += 1) await sleep(100);
  } finally {
    await scrub.stop();
  }
  assert.equal(status.passesCompleted, 1);
  assert.equal(status.metadataOk, true);
  assert.ok((await readFile(path)).equals(content), 'repaired in place');
  assert.ok(logs.some((l) => l.level === 'warn' && l.message.includes(hash) && l.message.includes('repaired from')), JSON.stringify(logs));
  const checkpoint = await readCheckpoint(server.dataDir);
  assert.equal(checkpoint.current, null);
  assert.equal(checkpoint.last?.repaired, 1);
  assert.equal(checkpoint.last?.unrepaired, 0);

  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  await app.close();
  assert.match(metrics, /holdfast_scrub_problems_total\{kind="blob-corrupt",outcome="repaired"\} 1/);
  assert.match(metrics, /holdfast_scrub_blobs_checked \d/);
  assert.match(metrics, /holdfast_metadata_integrity_ok 1/);
  assert.match(metrics, /holdfast_scrub_last_pass_timestamp_seconds \d/);
});
