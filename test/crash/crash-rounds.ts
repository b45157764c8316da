// The crash rounds, shared by the test (tens of kills) and the soak (thousands): one master
// seed decides every round's writer seed and kill delay, rounds run on the same data
// directory so state accumulates across kills, and the first failed round stops the run
// with everything needed to look into it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noAcknowledgedWrites, recordAcknowledged } from './acknowledged-writes.ts';
import type { AcknowledgedWrites } from './acknowledged-writes.ts';
import { runAndKillWriter } from './crash-round.ts';
import type { RoundPlan } from './crash-round.ts';
import { createRandom } from '../seeded-random.ts';
import { verifyAfterCrash } from './verify-after-crash.ts';

const KILL_AFTER_MIN_MS = 50;
const KILL_AFTER_MAX_MS = 600;

/** State accumulates over this many kills, then a new data directory starts. Every round
 * re-hashes every blob, so a directory that grew without end would make each round slower
 * than the last (the soak would crawl). */
export const ROUNDS_PER_DIRECTORY = 25;

export interface CrashRunOptions {
  seed: number;
  kills: number;
  /** How to run these same rounds again, for the failure message. */
  replayCommand: string;
  onRound?: (progress: CrashProgress) => void;
}

export interface CrashTotals {
  rounds: number;
  /** Rounds in which at least one write was acknowledged before the kill. */
  roundsWithAcks: number;
  acknowledged: number;
  inline: number;
  blob: number;
  tombstones: number;
}

export interface CrashProgress {
  round: number;
  plan: RoundPlan;
  acksThisRound: number;
  totals: CrashTotals;
  elapsedMs: number;
}

export class CrashRoundFailure extends Error {
  override readonly name = 'CrashRoundFailure';
}

/** Runs `kills` rounds; resolves with the totals, or rejects with a CrashRoundFailure that
 * names the seed, the round and the command to replay it. */
export async function runCrashRounds(options: CrashRunOptions): Promise<CrashTotals> {
  const random = createRandom(options.seed);
  const totals: CrashTotals = { rounds: 0, roundsWithAcks: 0, acknowledged: 0, inline: 0, blob: 0, tombstones: 0 };
  const started = performance.now();
  let directory: DataDirectory | null = null;
  for (let round = 1; round <= options.kills; round += 1) {
    if (directory === null || (round - 1) % ROUNDS_PER_DIRECTORY === 0) {
      if (directory) await directory.remove();
      directory = await newDataDirectory();
    }
    const plan: RoundPlan = { seed: random.seed(), killAfterMs: random.int(KILL_AFTER_MIN_MS, KILL_AFTER_MAX_MS) };
    const acknowledgedBefore = totals.acknowledged;
    const problems = await runRound(directory, plan, totals);
    if (problems.length > 0) {
      // The directory is kept, for inspection.
      const shown = problems.slice(0, 20).join('\n  ');
      const more = problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '';
      throw new CrashRoundFailure(
        `crash round ${round} of ${options.kills} failed (seed ${options.seed}; this round's writer seed ${plan.seed}, ` +
          `killed ${plan.killAfterMs} ms after ready):\n  ${shown}${more}\n` +
          `The data directory is kept for inspection: ${directory.path}\n` +
          `Replay: ${options.replayCommand}\n` +
          '(The seed replays every choice, but not the exact instant of each kill: that depends on the machine.)',
      );
    }
    totals.rounds = round;
    options.onRound?.({
      round,
      plan,
      acksThisRound: totals.acknowledged - acknowledgedBefore,
      totals,
      elapsedMs: performance.now() - started,
    });
  }
  if (directory) await directory.remove();
  return totals;
}

interface DataDirectory {
  path: string;
  ledger: AcknowledgedWrites;
  remove(): Promise<void>;
}

async function newDataDirectory(): Promise<DataDirectory> {
  const parent = await mkdtemp(join(tmpdir(), 'holdfast-crash-'));
  return {
    // A path that does not exist yet: the first writer initialises the store there.
    path: join(parent, 'data'),
    ledger: noAcknowledgedWrites(),
    remove: () => rm(parent, { recursive: true, force: true }),
  };
}

async function runRound(directory: DataDirectory, plan: RoundPlan, totals: CrashTotals): Promise<string[]> {
  const { path: dataDir, ledger } = directory;
  const run = await runAndKillWriter(dataDir, plan);
  if (run.kind === 'failed') return [run.reason];
  ledger.storeId ??= run.ready.storeId;
  if (run.ready.storeId !== ledger.storeId) {
    return [`the writer opened store ${run.ready.storeId}, but this directory held store ${ledger.storeId}`];
  }
  const problems = recordAcknowledged(ledger, run.acks);
  problems.push(...(await verifyAfterCrash(dataDir, ledger, run.acks)));
  totals.acknowledged += run.acks.length;
  if (run.acks.length > 0) totals.roundsWithAcks += 1;
  for (const ack of run.acks) totals[ack.storage === 'none' ? 'tombstones' : ack.storage] += 1;
  return problems;
}
