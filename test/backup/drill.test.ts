// The server's scheduled restore drill, across real processes: `holdfast serve` runs it,
// `holdfast status --json` (another process) and /metrics show its result, recovery point
// and recovery time, and a drill against a damaged target is reported FAILED, loudly.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { holdfast, temporaryDirectory } from '../cli/holdfast-process.ts';
import { made } from './backup-fixture.ts';
import { startServerProcess, storeWithUser } from './server-process.ts';
import type { ServerProcess } from './server-process.ts';

interface StatusDrill {
  drill: null | { ok: boolean; finishedAt: string; targets: Array<{ target: string; ok: boolean; problems: string[]; recoveryPointSeconds: number | null; recoveryTimeSeconds: number; restoredSeq: number | null }> };
}

let root: { dir: string; cleanup: () => Promise<void> };
let dataDir: string;
let backup: string;
let server: ServerProcess;
let authorization: string;

before(async () => {
  root = await temporaryDirectory();
  dataDir = join(root.dir, 'data');
  ({ authorization } = await storeWithUser(dataDir));
  backup = await made(join(root.dir, 'backup'));
  server = await startServerProcess(dataDir, {
    HOLDFAST_BACKUP_TARGETS: `dir:${backup}`,
    HOLDFAST_BACKUP_DRILL_INTERVAL_SECONDS: '2',
    HOLDFAST_SCRUB_BYTES_PER_SECOND: '0',
  });
});
after(async () => {
  await server?.stop();
  await root.cleanup();
});

async function status(): Promise<StatusDrill> {
  const result = await holdfast(['status', '--data', dataDir, '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as StatusDrill;
}

/** Waits for a drill that finished after `since` and matches `wanted`. */
async function drillAfter(since: string, wanted: (drill: NonNullable<StatusDrill['drill']>) => boolean): Promise<NonNullable<StatusDrill['drill']>> {
  for (let i = 0; i < 120; i += 1) {
    const { drill } = await status();
    if (drill !== null && drill.finishedAt > since && wanted(drill)) return drill;
    await sleep(500);
  }
  throw new Error(`no such drill after ${since}:\n${server.output()}`);
}

async function metrics(): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

test('a drill of a good target passes, and status --json and /metrics show it with its recovery point and time', async () => {
  const put = await fetch(`${server.url}/api/v1/collections/files/items/photo.bin`, {
    method: 'PUT',
    headers: { authorization, 'content-type': 'application/octet-stream' },
    body: randomBytes(120 * 1024),
  });
  assert.equal(put.status, 201);
  const drill = await drillAfter(new Date().toISOString(), (d) => d.ok && (d.targets[0]?.restoredSeq ?? 0) > 0);
  const [result] = drill.targets;
  assert.ok(result);
  assert.equal(result.target, `dir:${backup}`);
  assert.deepEqual(result.problems, []);
  assert.ok(result.recoveryTimeSeconds > 0);
  assert.equal(typeof result.recoveryPointSeconds, 'number');
  assert.ok((result.recoveryPointSeconds ?? -1) >= 0);

  const text = await metrics();
  assert.match(text, new RegExp(`holdfast_backup_drill_ok\\{target="dir:${backup}"\\} 1`));
  assert.match(text, /holdfast_backup_drill_recovery_time_seconds\{target="[^"]+"\} \d/);
  assert.match(text, /holdfast_backup_drill_recovery_point_seconds\{target="[^"]+"\} \d/);

  const plain = await holdfast(['status', '--data', dataDir]);
  assert.match(plain.stdout, /restore drill dir:\S+\s+passed at .*recovery point [\d.]+ s, recovery time [\d.]+ s/);
});

test('a drill of a damaged target is reported FAILED in the log, status and /metrics', async () => {
  const snapshots = join(backup, 'g1', 'snapshots');
  const [name] = (await readdir(snapshots)).filter((n) => !n.endsWith('.json'));
  assert.ok(name);
  const data = await readFile(join(snapshots, name));
  data[200] = (data[200] ?? 0) ^ 0x01;
  await writeFile(join(snapshots, name), data);

  const drill = await drillAfter(new Date().toISOString(), (d) => !d.ok);
  assert.ok(drill.targets[0]?.problems.some((p) => p.includes(name)), JSON.stringify(drill.targets[0]?.problems));
  assert.match(await metrics(), new RegExp(`holdfast_backup_drill_ok\\{target="dir:${backup}"\\} 0`));
  assert.match(server.output(), /RESTORE DRILL FAILED for dir:/);
  const plain = await holdfast(['status', '--data', dataDir]);
  assert.match(plain.stdout, /FAILED \(\d+ problem\(s\)\)/);
  assert.match(plain.stderr, /THE LAST RESTORE DRILL FAILED/);
  const verify = await holdfast(['backup', 'verify', '--target', `dir:${backup}`]);
  assert.equal(verify.code, 1);
});

test('the drills leave no scratch space behind once the server has stopped', async () => {
  // A drill may be running now (every 2 s here); stopping waits for it to finish and clean up.
  assert.equal(await server.stop(), 0);
  assert.deepEqual((await readdir(root.dir)).filter((n) => n.startsWith('holdfast-verify-')), []);
});
