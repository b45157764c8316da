// The crash soak: the crash test's rounds, thousands of times. Run before a release, after
// any change to the write path, or overnight on the disk a server will use.
//
//   npm run soak:crash -- [--kills 2000] [--seed S]
//
// Prints a progress line every few rounds and a summary; exits non-zero on the first
// failed round, naming the seed and the command that replays it.
import { parseArgs } from 'node:util';
import { CrashRoundFailure, ROUNDS_PER_DIRECTORY, runCrashRounds } from './crash-rounds.ts';
import type { CrashProgress, CrashTotals } from './crash-rounds.ts';
import { freshSeed, parseSeed } from '../seeded-random.ts';

const DEFAULT_KILLS = 2000;
const PROGRESS_EVERY_MS = 10_000;

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { kills: { type: 'string' }, seed: { type: 'string' } }, strict: true });
  const kills = values.kills === undefined ? DEFAULT_KILLS : Number(values.kills);
  if (!Number.isSafeInteger(kills) || kills < 1) throw new RangeError(`--kills takes a whole number of 1 or more, got ${values.kills}`);
  const seed = values.seed === undefined ? freshSeed() : parseSeed(values.seed);
  console.log(`crash soak: ${kills} kills, seed ${seed}, a new data directory every ${ROUNDS_PER_DIRECTORY} rounds`);

  let lastPrinted = 0;
  const onRound = (progress: CrashProgress) => {
    if (progress.round === kills || progress.elapsedMs - lastPrinted >= PROGRESS_EVERY_MS) {
      lastPrinted = progress.elapsedMs;
      console.log(progressLine(progress, kills));
    }
  };
  try {
    const totals = await runCrashRounds({
      seed,
      kills,
      replayCommand: `npm run soak:crash -- --seed ${seed} --kills ${kills}`,
      onRound,
    });
    console.log(summary(totals, seed));
    return 0;
  } catch (error) {
    if (!(error instanceof CrashRoundFailure)) throw error;
    console.error(`\nFAILED\n${error.message}`);
    return 1;
  }
}

function progressLine({ round, totals, elapsedMs }: CrashProgress, kills: number): string {
  const seconds = elapsedMs / 1000;
  return (
    `round ${round}/${kills}  acknowledged ${totals.acknowledged} ` +
    `(${totals.inline} inline, ${totals.blob} blob, ${totals.tombstones} tombstones)  ` +
    `${(round / seconds).toFixed(2)} kills/s  ${seconds.toFixed(0)} s`
  );
}

function summary(totals: CrashTotals, seed: number): string {
  return (
    `crash soak passed: ${totals.rounds} kills (seed ${seed}), ${totals.acknowledged} acknowledged writes ` +
    `(${totals.inline} inline, ${totals.blob} blob, ${totals.tombstones} tombstones), ` +
    `${totals.roundsWithAcks} of ${totals.rounds} rounds killed with writes acknowledged; every one was there after its kill`
  );
}

process.exitCode = await main();
