// What must hold when the store is opened again after its writer was killed: every
// acknowledged write is there with its content intact, no item's head went backwards,
// nothing points at a missing or corrupt blob, and the owner's open cleared the litter.
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BLOBS_DIR } from '../../src/store/data-directory.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store, UserStore } from '../../src/store/store.ts';
import type { AcknowledgedWrites } from './acknowledged-writes.ts';
import { CRASH_COLLECTION, CRASH_INLINE_LIMIT_BYTES, CRASH_USER } from './crash-workload.ts';
import type { AckLine } from './writer-report.ts';

/** The blob engine's directory for writes in progress (local-directory.ts). */
const BLOB_TEMP_DIR = join(BLOBS_DIR, 'tmp');

/** Opens the store as its owner and checks it against what was acknowledged. `fresh` are
 * this round's acknowledgements, whose content is read back in full; older ones are
 * checked by their metadata, and all blob content by the integrity check. Returns the
 * problems found; none means the round passed. */
export async function verifyAfterCrash(dataDir: string, ledger: AcknowledgedWrites, fresh: readonly AckLine[]): Promise<string[]> {
  const opened = await openStore({
    dataDir,
    cleanTemporaryFiles: true,
    inlineLimitBytes: CRASH_INLINE_LIMIT_BYTES,
    initializeIfEmpty: false,
    expectedStoreId: ledger.storeId ?? undefined,
  });
  if (opened.kind !== 'opened') return [`the store did not open after the kill: ${opened.reason}`];
  const { store } = opened;
  try {
    const problems: string[] = [];
    const litter = await readdir(join(dataDir, BLOB_TEMP_DIR));
    if (litter.length > 0) problems.push(`the owner's open left ${litter.length} file(s) in ${BLOB_TEMP_DIR}: ${litter.slice(0, 3).join(', ')}`);

    const identity = await store.identity();
    if (identity.sequence < ledger.highestSeq) {
      problems.push(`the store's sequence is ${identity.sequence}, behind the acknowledged seq ${ledger.highestSeq}`);
    }
    const user = await crashUser(store);
    if (!user) return [...problems, `the user ${CRASH_USER} is gone`];

    for (const ack of ledger.byRevision.values()) problems.push(...(await checkRevision(user, ack)));
    for (const ack of fresh) problems.push(...(await checkContent(user, ack)));
    for (const ack of ledger.lastByItem.values()) problems.push(...(await checkHead(user, ack)));
    problems.push(...(await checkChangeLog(user, fresh)));

    const integrity = await store.checkIntegrity({ verifyBlobContent: true });
    for (const problem of integrity.problems) problems.push(`integrity check: ${problem.kind}: ${problem.detail}`);
    return problems;
  } finally {
    await store.close();
  }
}

async function crashUser(store: Store): Promise<UserStore | null> {
  const user = await store.accounts.getUserByName(CRASH_USER);
  return user ? store.forUser(user.id) : null;
}

function describe(ack: AckLine): string {
  const what = ack.hash === null ? 'tombstone' : `${ack.storage} revision`;
  return `acknowledged ${what} ${ack.revision} of ${ack.item} (seq ${ack.seq})`;
}

async function checkRevision(user: UserStore, ack: AckLine): Promise<string[]> {
  const revision = await user.getRevision(ack.revision);
  if (!revision) return [`${describe(ack)} is missing`];
  const problems: string[] = [];
  if (revision.itemName !== ack.item) problems.push(`${describe(ack)} now belongs to ${revision.itemName}`);
  if (revision.seq !== ack.seq) problems.push(`${describe(ack)} now has seq ${revision.seq}`);
  if (revision.deleted !== (ack.hash === null)) problems.push(`${describe(ack)} now has deleted=${revision.deleted}`);
  if (revision.contentHash !== ack.hash) problems.push(`${describe(ack)} now has hash ${revision.contentHash}, acknowledged ${ack.hash}`);
  if (revision.size !== ack.size) problems.push(`${describe(ack)} now has size ${revision.size}, acknowledged ${ack.size}`);
  return problems;
}

async function checkContent(user: UserStore, ack: AckLine): Promise<string[]> {
  if (ack.hash === null) return [];
  const content = await user.readContent(ack.revision);
  if (!content) return [`${describe(ack)} has no readable content`];
  const hasher = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of content.open()) {
      hasher.update(chunk);
      size += chunk.byteLength;
    }
  } catch (error) {
    return [`reading ${describe(ack)} failed: ${error instanceof Error ? error.message : String(error)}`];
  }
  const hash = hasher.digest('hex');
  if (hash !== ack.hash || size !== ack.size) {
    return [`${describe(ack)} reads back as ${size} bytes hashing to ${hash}, acknowledged ${ack.size} bytes hashing to ${ack.hash}`];
  }
  return [];
}

async function checkHead(user: UserStore, last: AckLine): Promise<string[]> {
  const item = await user.getItem(CRASH_COLLECTION, last.item);
  if (!item) return [`item ${last.item} is missing, but ${describe(last)}`];
  const { head } = item;
  if (head.seq < last.seq) return [`item ${last.item} has head ${head.id} at seq ${head.seq}, older than the ${describe(last)}`];
  if (head.seq === last.seq && head.id !== last.revision) return [`item ${last.item} has head ${head.id} at seq ${head.seq}, but ${describe(last)}`];
  return [];
}

/** Each fresh acknowledgement is in the change log at its seq: followers (sync, backup,
 * replicas) must see every acknowledged write. */
async function checkChangeLog(user: UserStore, fresh: readonly AckLine[]): Promise<string[]> {
  if (fresh.length === 0) return [];
  const seqs = fresh.map((ack) => ack.seq);
  const highest = Math.max(...seqs);
  const logged = new Map<number, string>();
  let after = Math.min(...seqs) - 1;
  while (after < highest) {
    const page = await user.changesSince({ after, limit: 1000 });
    if (page.length === 0) break;
    for (const change of page) if (change.kind === 'revision') logged.set(change.seq, change.revision.id);
    after = page[page.length - 1]?.seq ?? highest;
  }
  return fresh
    .filter((ack) => logged.get(ack.seq) !== ack.revision)
    .map((ack) => `${describe(ack)} is not in the change log at its seq (found ${logged.get(ack.seq) ?? 'nothing'})`);
}
