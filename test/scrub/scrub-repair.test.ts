// The scrub against real damage on a real store behind a real server: random bit flips,
// truncations and deleted blobs are each found, repaired from a backup target and the bad
// copy kept in quarantine; before the repair a GET never hands out the wrong bytes as a
// success; and a pass cut short resumes from its checkpoint.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { TargetShipper } from '../../src/backup/ship.ts';
import { openBackupSource } from '../../src/backup/sqlite-source.ts';
import type { BackupTarget } from '../../src/backup/target.ts';
import { readCheckpoint } from '../../src/scrub/checkpoint.ts';
import { repairSourceFrom } from '../../src/scrub/repair-source.ts';
import { runScrubPass } from '../../src/scrub/scrub-pass.ts';
import { openLocalDirectoryBlobs } from '../../src/store/blobs/local-directory.ts';
import type { BlobEngine } from '../../src/store/blobs/blob-engine.ts';
import { createRandom } from '../seeded-random.ts';
import { sendJson, startHarness, type Harness } from '../server/harness.ts';

const SEED = Number(process.env.SCRUB_SEED ?? 20261125);
const random = createRandom(SEED);
console.log(`scrub damage seed: ${SEED} (replay with SCRUB_SEED=${SEED})`);

function blobPath(dataDir: string, hash: string): string {
  return join(dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash);
}

describe('scrub and repair', () => {
  let server: Harness;
  let api: string;
  let target: BackupTarget;
  let blobs: BlobEngine;
  /** name → content */
  const items = new Map<string, Buffer>();
  const hashOf = (data: Buffer) => createHash('sha256').update(data).digest('hex');

  before(async () => {
    server = await startHarness();
    api = `${server.url}/api/v1`;
    await sendJson(`${api}/collections/files`, 'PUT', server.appPassword.alice, { kind: 'files' });
    for (let i = 0; i < 12; i += 1) {
      const data = Buffer.alloc(random.int(70 * 1024, 300 * 1024));
      random.fill(data);
      const response = await fetch(`${api}/collections/files/items/f${i}.bin`, {
        method: 'PUT',
        headers: { authorization: server.appPassword.alice, 'content-type': 'application/octet-stream' },
        body: data,
      });
      assert.equal(response.status, 201);
      items.set(`f${i}.bin`, data);
    }
    const backupDir = join(server.dataDir, '..', `scrub-target-${process.pid}`);
    await mkdir(backupDir, { recursive: true });
    target = await openDirectoryTarget(backupDir);
    const source = openBackupSource(server.dataDir);
    try {
      await new TargetShipper(target, { store: server.store, source }).pass();
    } finally {
      source.close();
    }
    blobs = await openLocalDirectoryBlobs(join(server.dataDir, 'blobs'));
  });
  after(async () => {
    await target.close();
    await server.close();
  });

  test('every flipped bit, truncation and deleted blob is found, refused on GET, repaired and quarantined', async () => {
    const names = [...items.keys()];
    const damage = new Map<string, 'flip' | 'truncate' | 'delete'>();
    const kinds = ['flip', 'flip', 'flip', 'truncate', 'truncate', 'delete', 'delete'] as const;
    for (const kind of kinds) {
      let name = random.pick(names);
      while (damage.has(name)) name = random.pick(names);
      damage.set(name, kind);
    }
    const badBytes = new Map<string, Buffer>();
    for (const [name, kind] of damage) {
      const data = items.get(name) ?? Buffer.alloc(0);
      const path = blobPath(server.dataDir, hashOf(data));
      if (kind === 'delete') {
        await rm(path);
        continue;
      }
      const bytes = await readFile(path);
      if (kind === 'flip') {
        const flips = random.int(1, 4);
        for (let f = 0; f < flips; f += 1) {
          const at = random.int(0, bytes.length - 1);
          bytes[at] = (bytes[at] ?? 0) ^ (1 << random.int(0, 7));
        }
        await writeFile(path, bytes);
        badBytes.set(name, bytes);
      } else {
        await truncate(path, random.int(0, bytes.length - 1));
        badBytes.set(name, await readFile(path));
      }
    }

    // Before the repair: no GET of a damaged item is a success with the wrong bytes.
    for (const name of damage.keys()) {
      const response = await fetch(`${api}/collections/files/items/${name}`, { headers: { authorization: server.appPassword.alice } });
      if (response.status !== 200) {
        assert.ok(response.status >= 400, `${name}: ${response.status}`);
        await response.arrayBuffer();
        continue;
      }
      // The answer may have started before the damage was found: then it must not complete.
      await assert.rejects(response.arrayBuffer(), `${name} (${damage.get(name)}) was served complete although damaged`);
    }

    const report = await runScrubPass({ dataDir: server.dataDir, blobs, store: server.store, repair: repairSourceFrom([target], undefined), bytesPerSecond: null, useCheckpoint: false });
    assert.equal(report.complete, true);
    assert.equal(report.metadataOk, true);
    assert.equal(report.problems.length, damage.size, JSON.stringify(report.problems, null, 2));
    for (const [name, kind] of damage) {
      const hash = hashOf(items.get(name) ?? Buffer.alloc(0));
      const problem = report.problems.find((p) => p.hash === hash);
      assert.ok(problem, `${name} (${kind}) was not found`);
      assert.equal(problem.kind, kind === 'delete' ? 'blob-missing' : 'blob-corrupt');
      assert.equal(problem.repaired, true, problem.unrepairedReason ?? '');
      assert.equal(problem.repairedFrom, target.description);
      if (kind === 'delete') assert.equal(problem.quarantinedTo, null);
      else assert.deepEqual(await readFile(problem.quarantinedTo ?? ''), badBytes.get(name), 'the bad copy is kept, unchanged');
    }
    assert.equal((await readdir(join(server.dataDir, 'quarantine'))).length, damage.size - kinds.filter((k) => k === 'delete').length);

    for (const [name, data] of items) {
      const response = await fetch(`${api}/collections/files/items/${name}`, { headers: { authorization: server.appPassword.alice } });
      assert.equal(response.status, 200, name);
      assert.ok(Buffer.from(await response.arrayBuffer()).equals(data), `${name} reads back whole after the repair`);
    }
    const again = await runScrubPass({ dataDir: server.dataDir, blobs, store: server.store, repair: null, bytesPerSecond: null, useCheckpoint: false });
    assert.deepEqual(again.problems, []);
  });

  test('damage without a target to repair from is reported, not repaired, and the bad copy stays put', async () => {
    const [name, data] = [...items.entries()][0] ?? ['', Buffer.alloc(0)];
    const path = blobPath(server.dataDir, hashOf(data));
    const bytes = await readFile(path);
    bytes[10] = (bytes[10] ?? 0) ^ 0x10;
    await writeFile(path, bytes);
    const report = await runScrubPass({ dataDir: server.dataDir, blobs, store: server.store, repair: null, bytesPerSecond: null, useCheckpoint: false });
    assert.equal(report.problems.length, 1);
    assert.equal(report.problems[0]?.repaired, false);
    assert.match(report.problems[0]?.unrepairedReason ?? '', /no backup target/);
    assert.deepEqual(await readFile(path), bytes, `${name}'s bad copy is left where it was`);
    const fixed = await runScrubPass({ dataDir: server.dataDir, blobs, store: server.store, repair: repairSourceFrom([target], undefined), bytesPerSecond: null, useCheckpoint: false });
    assert.equal(fixed.problems[0]?.repaired, true);
  });

  test('a pass stopped part-way resumes after its checkpoint instead of starting over', async () => {
    const all: string[] = [];
    for await (const hash of blobs.list()) all.push(hash);
    const controller = new AbortController();
    const seen: string[] = [];
    const first = await runScrubPass({
      dataDir: server.dataDir,
      blobs,
      store: server.store,
      repair: null,
      bytesPerSecond: null,
      useCheckpoint: true,
      signal: controller.signal,
      onProgress: (progress) => {
        seen.push(progress.lastHash ?? '');
        if (seen.length === 5) controller.abort();
      },
    });
    assert.equal(first.complete, false);
    const saved = await readCheckpoint(server.dataDir);
    assert.equal(saved.current?.after, all[4], 'the checkpoint names the last blob finished');
    assert.equal(saved.current?.blobsChecked, 5);

    // A new pass (as after a restart) reads only the blobs after the checkpoint.
    const rest: string[] = [];
    const second = await runScrubPass({
      dataDir: server.dataDir,
      blobs,
      store: server.store,
      repair: null,
      bytesPerSecond: null,
      useCheckpoint: true,
      onProgress: (progress) => rest.push(progress.lastHash ?? ''),
    });
    assert.equal(second.complete, true);
    assert.equal(second.resumedAfter, all[4]);
    assert.deepEqual(rest, all.slice(5));
    assert.equal(second.blobsChecked, all.length);
    const done = await readCheckpoint(server.dataDir);
    assert.equal(done.current, null);
    assert.equal(done.last?.blobsChecked, all.length);
  });
});
