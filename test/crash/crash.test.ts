// The crash test: a process writing to the store is killed with SIGKILL, again and again,
// at random moments; after every kill the store is opened again and must still hold every
// write it acknowledged, intact. DESIGN.md: a write "is acknowledged only after it is durable".
//
// What this proves and what it does not: SIGKILL kills the process, not the machine, so
// whatever the process had written survives in the OS page cache even if it was never
// fsynced. The test catches a store that acknowledges too early, in the wrong order, or
// leaves metadata pointing at a blob that is not complete; it cannot catch a missing fsync.
// Durability against power loss rests on fsync ordering (synchronous=FULL; temp file →
// fsync → rename → fsync directory), which no process-level test can observe. See
// docs/durability.md.
//
// HOLDFAST_CRASH_KILLS=N sets the number of kills (default 50); HOLDFAST_CRASH_SEED=S
// replays a run. `npm run soak:crash` runs the same rounds thousands of times.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { runCrashRounds } from './crash-rounds.ts';
import { freshSeed, parseSeed } from '../seeded-random.ts';

const kills = Number(process.env.HOLDFAST_CRASH_KILLS ?? 50);
const seed = process.env.HOLDFAST_CRASH_SEED === undefined ? freshSeed() : parseSeed(process.env.HOLDFAST_CRASH_SEED);
const replayCommand = `HOLDFAST_CRASH_SEED=${seed} HOLDFAST_CRASH_KILLS=${kills} node scripts/run-tests.js crash`;

it(
  `every acknowledged write survives ${kills} SIGKILLs of the writing process, with its content intact (seed ${seed})`,
  { timeout: 15 * 60_000 },
  async (t) => {
    assert.ok(Number.isSafeInteger(kills) && kills > 0, `HOLDFAST_CRASH_KILLS must be a whole number of 1 or more`);
    t.diagnostic(`seed ${seed}; replay with: ${replayCommand}`);
    const totals = await runCrashRounds({ seed, kills, replayCommand });
    t.diagnostic(
      `${totals.acknowledged} acknowledged writes checked (${totals.inline} inline, ${totals.blob} blob, ` +
        `${totals.tombstones} tombstones); ${totals.roundsWithAcks} of ${totals.rounds} kills landed after writes were acknowledged`,
    );

    // The test must not pass because nothing was written before each kill.
    assert.equal(totals.rounds, kills);
    const why = `too little was written to prove anything (seed ${seed}; replay: ${replayCommand})`;
    assert.ok(totals.roundsWithAcks >= Math.ceil(kills * 0.8), `only ${totals.roundsWithAcks} of ${kills} kills came after an acknowledged write: ${why}`);
    assert.ok(totals.acknowledged >= kills * 10, `only ${totals.acknowledged} acknowledged writes: ${why}`);
    assert.ok(totals.blob >= Math.ceil(kills / 5), `only ${totals.blob} acknowledged large (blob) writes: ${why}`);
    assert.ok(totals.tombstones >= Math.ceil(kills / 5), `only ${totals.tombstones} acknowledged deletes: ${why}`);
  },
);
