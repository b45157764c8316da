// The deterministic simulation of devices and a server (simulation.ts; docs/sync.md, "How
// sync is tested") over CI_SEEDS seeds, and a check that a seed replays the same run.
// `npm run soak:sim` runs thousands; a failure here names the seed and the command that
// replays it with its trace.
//
// The schedule never destroys the last copy of a revision: before a device reset, a restore
// from an older backup or an empty replacement server, the simulation asks the real
// replicas and the real store whether every revision the fault would destroy is held
// elsewhere, and skips the fault if not. So the checker (sim-checker.ts) asserts survival
// for every acknowledged write, with no exceptions but revisions the server refused to their
// device (and only `stale-delete` refusals are allowed). "Survives" means: the final server
// and every device's replica hold the revision, with its content hash; it need not be the
// head (a later edit, delete or conflict winner may be on top), but every device's head of
// every item is the server's head, with the same bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { replayCommand, runSimulation, type SimResult, type SimStats } from './simulation.ts';

const CI_SEEDS = 200;
const TRACE_TAIL = 60;

function explain(result: SimResult): string {
  const tail = result.trace.slice(-TRACE_TAIL).join('\n');
  return `seed ${result.seed} failed:\n${result.failures.map((f) => `  - ${f}`).join('\n')}\n\nthe end of its trace:\n${tail}\n\nreplay it with its whole trace: ${replayCommand(result.seed)}`;
}

describe('the simulation: devices, a faulty network, resets, restores and an empty server', () => {
  test(`over ${CI_SEEDS} seeds, every acknowledged write survives everywhere, nothing deleted comes back, nothing is deleted by absence, and the replicas converge`, { timeout: 15 * 60_000 }, async () => {
    const totals: Partial<Record<keyof SimStats, number>> = {};
    for (let seed = 1; seed <= CI_SEEDS; seed += 1) {
      const result = await runSimulation({ seed });
      assert.deepEqual(result.failures, [], explain(result));
      for (const [key, value] of Object.entries(result.stats) as [keyof SimStats, number][]) totals[key] = (totals[key] ?? 0) + value;
    }
    // The schedule must actually reach each fault, or the seeds prove less than they claim.
    for (const fault of ['deletes', 'collectionChanges', 'networkFailures', 'resets', 'restores', 'replacements', 'heldDelivered', 'conflicts', 'heals'] as const) {
      assert.ok((totals[fault] ?? 0) > 0, `no seed had any ${fault}: ${JSON.stringify(totals)}`);
    }
    console.log(`simulation: ${CI_SEEDS} seeds passed; totals ${JSON.stringify(totals)}`);
  });

  test('a seed replays the same run, step for step', async () => {
    const first = await runSimulation({ seed: 5 });
    const second = await runSimulation({ seed: 5 });
    assert.ok(first.trace.length > 20);
    assert.deepEqual(second.trace, first.trace);
    assert.deepEqual(second.stats, first.stats);
  });
});
