// The server as `holdfast serve` runs it starts the photo indexer with itself and stops it
// before the store closes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server/start-server.ts';
import { testConfig } from '../server/harness.ts';

test('startServer runs the photo indexer, which reads the log, and stops it before the store closes', async () => {
  const root = await mkdtemp(join(tmpdir(), 'holdfast-photos-serve-'));
  const lines: Array<{ msg: string; level: string }> = [];
  try {
    const running = await startServer(testConfig(join(root, 'data')), { log: (line) => lines.push(JSON.parse(line) as { msg: string; level: string }) });
    // The backlog is known once the indexer has read the log's position (new store: 0 behind).
    let metrics = '';
    for (let i = 0; i < 100 && !/^holdfast_photos_backlog_changes 0$/m.test(metrics); i++) {
      metrics = await (await fetch(`${running.url}/metrics`)).text();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await running.close();
    const messages = lines.map((l) => l.msg);
    const started = messages.findIndex((m) => m === 'photo library: indexer started');
    const stopped = messages.findIndex((m) => m === 'photo library: indexer stopped');
    const closed = messages.findIndex((m) => m.startsWith('shut down cleanly'));
    assert.ok(started >= 0, 'started');
    assert.ok(stopped > started, 'stopped');
    assert.ok(closed > stopped, 'before the store closed');
    assert.match(metrics, /^holdfast_photos_backlog_changes 0$/m);
    assert.match(metrics, /^holdfast_photos_queue_length 0$/m);
    assert.deepEqual(lines.filter((l) => l.level === 'error'), []);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
