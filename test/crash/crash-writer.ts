// The process the crash test kills. It opens the store in a data directory as its owner,
// makes sure the crash user and collection exist, prints a "ready" line, then runs several
// writers until SIGKILL arrives. Each acknowledged write is printed, synchronously, as soon
// as its promise resolves (see writer-report.ts).
//
//   node --import tsx test/crash/crash-writer.ts --data DIR --seed N [--writers N]
import { parseArgs } from 'node:util';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { CRASH_COLLECTION, CRASH_INLINE_LIMIT_BYTES, CRASH_USER, CRASH_WRITERS, runWriter } from './crash-workload.ts';
import { createRandom, parseSeed } from '../seeded-random.ts';
import { reportLine } from './writer-report.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { data: { type: 'string' }, seed: { type: 'string' }, writers: { type: 'string' } },
    strict: true,
  });
  if (values.data === undefined || values.seed === undefined) throw new Error('usage: crash-writer.ts --data DIR --seed N [--writers N]');
  const seed = parseSeed(values.seed);
  const writers = values.writers === undefined ? CRASH_WRITERS : Number(values.writers);

  const opened = await openStore({ dataDir: values.data, cleanTemporaryFiles: true, inlineLimitBytes: CRASH_INLINE_LIMIT_BYTES });
  if (opened.kind !== 'opened') throw new Error(`the store did not open: ${opened.reason}`);
  const { store } = opened;
  const userId = await ensureUserAndCollection(store);
  reportLine({ type: 'ready', storeId: (await store.identity()).storeId, pid: process.pid, seed });

  const random = createRandom(seed);
  const user = store.forUser(userId);
  // Each writer draws from its own stream, so its choices do not depend on how the
  // writers happen to interleave.
  const running = Array.from({ length: writers }, (_, writer) => runWriter(user, writer, createRandom(random.seed()), reportLine));
  await Promise.all(running);
}

async function ensureUserAndCollection(store: Store): Promise<number> {
  const existing = await store.accounts.getUserByName(CRASH_USER);
  const user = existing ?? (await store.accounts.createUser(CRASH_USER, 'not-a-password-hash')).user;
  await store.forUser(user.id).createCollection({ name: CRASH_COLLECTION, kind: 'files' });
  return user.id;
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  reportLine({ type: 'error', message });
  // The other writers would keep the process alive; nothing of theirs needs to finish.
  process.exit(1);
});
