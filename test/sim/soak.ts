// The simulation soak: many seeds of the deterministic simulation (simulation.ts).
//
//   npm run soak:sim -- [--seeds 10000] [--from S]   seeds S, S+1, … (S defaults to 1)
//   npm run soak:sim -- --seed S                     one seed, with its trace as it runs
//
// Stops at the first failing seed, prints its trace and failures and the command that
// replays it, and exits non-zero.
import { parseArgs } from 'node:util';
import { parseSeed } from '../seeded-random.ts';
import { replayCommand, runSimulation, type SimStats } from './simulation.ts';

const DEFAULT_SEEDS = 10_000;
const PROGRESS_EVERY_MS = 10_000;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { seeds: { type: 'string' }, from: { type: 'string' }, seed: { type: 'string' } }, strict: true });
  if (values.seed !== undefined) {
    const seed = parseSeed(values.seed);
    const result = await runSimulation({ seed, verbose: true });
    console.log(`\n${JSON.stringify(result.stats)}`);
    if (result.failures.length === 0) {
      console.log(`seed ${seed} passed`);
      return 0;
    }
    console.error(`\nseed ${seed} FAILED:\n${result.failures.map((f) => `  - ${f}`).join('\n')}\nreplay: ${replayCommand(seed)}`);
    return 1;
  }
  const count = values.seeds === undefined ? DEFAULT_SEEDS : Number(values.seeds);
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`--seeds takes a whole number of 1 or more, got ${values.seeds}`);
  const from = values.from === undefined ? 1 : parseSeed(values.from);
  console.log(`simulation soak: seeds ${from} to ${from + count - 1}`);
  const started = Date.now();
  let lastPrinted = started;
  const totals: Partial<Record<keyof SimStats, number>> = {};
  for (let n = 0; n < count; n += 1) {
    const seed = (from + n) >>> 0;
    const result = await runSimulation({ seed });
    for (const [key, value] of Object.entries(result.stats) as [keyof SimStats, number][]) totals[key] = (totals[key] ?? 0) + value;
    if (result.failures.length > 0) {
      console.error(`\n${result.trace.join('\n')}\n\nseed ${seed} FAILED:\n${result.failures.map((f) => `  - ${f}`).join('\n')}`);
      console.error(`replay: ${replayCommand(seed)}`);
      return 1;
    }
    if (Date.now() - lastPrinted >= PROGRESS_EVERY_MS || n === count - 1) {
      lastPrinted = Date.now();
      const seconds = (lastPrinted - started) / 1000;
      console.log(`${n + 1}/${count} seeds passed  ${((n + 1) / seconds).toFixed(1)} seeds/s  ${seconds.toFixed(0)} s`);
    }
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`simulation soak passed: ${count} seeds (${from} to ${from + count - 1}) in ${seconds.toFixed(0)} s; totals ${JSON.stringify(totals)}`);
  return 0;
}

process.exitCode = await main();
