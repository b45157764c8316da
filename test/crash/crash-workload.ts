// What the crash writer does between its start and its SIGKILL: several writers at once,
// each looping over a shared pool of item names, so the store sees creates, updates with
// and without If-Match, deletes, re-creates, and writers racing on the same item.
import type { UserStore } from '../../src/store/store.ts';
import type { Precondition, Revision } from '../../src/store/types.ts';
import { largeContent, smallContent } from './crash-content.ts';
import type { Random } from '../seeded-random.ts';
import type { AckLine } from './writer-report.ts';

export const CRASH_USER = 'crash';
export const CRASH_COLLECTION = 'crash';
/** Small content (a few hundred bytes) stays inline; large (100 KB and up) goes to blobs. */
export const CRASH_INLINE_LIMIT_BYTES = 16 * 1024;
export const CRASH_WRITERS = 6;

const ITEM_POOL = Array.from({ length: 48 }, (_, index) => `item-${String(index).padStart(2, '0')}`);
const LARGE_SHARE = 0.1;
const DELETE_SHARE = 0.15;

/** What one writer believes an item's head is: a live revision, or absent/deleted (null). */
type Known = { id: string } | null;

/** Loops until the process is killed. Reports each acknowledged write through `ack`. */
export async function runWriter(user: UserStore, writer: number, random: Random, ack: (line: AckLine) => void): Promise<never> {
  const known = new Map<string, Known>();
  const learn = async (item: string): Promise<Known> => {
    if (!known.has(item)) {
      const found = await user.getItem(CRASH_COLLECTION, item);
      known.set(item, found && !found.deleted ? { id: found.head.id } : null);
    }
    return known.get(item) ?? null;
  };
  const remember = (item: string, current: Revision | null) => known.set(item, current && !current.deleted ? { id: current.id } : null);

  for (;;) {
    const item = random.pick(ITEM_POOL);
    const head = await learn(item);
    if (head && random.chance(DELETE_SHARE)) {
      const precondition: Precondition = random.chance(0.5) ? { kind: 'match', revisionId: head.id } : { kind: 'none' };
      const result = await user.deleteItem(CRASH_COLLECTION, item, { author: `crash-writer-${writer}`, precondition });
      switch (result.kind) {
        case 'deleted':
          ack({ type: 'ack', writer, item, revision: result.tombstone.id, seq: result.tombstone.seq, hash: null, size: 0, storage: 'none' });
          remember(item, result.tombstone);
          break;
        case 'precondition-failed':
          remember(item, result.current);
          break;
        case 'not-found':
          remember(item, null);
          break;
        case 'no-collection':
          throw new Error(`the collection ${CRASH_COLLECTION} vanished`);
      }
      continue;
    }

    const precondition: Precondition = !random.chance(0.5)
      ? { kind: 'none' }
      : head
        ? { kind: 'match', revisionId: head.id }
        : { kind: 'must-not-exist' };
    const large = random.chance(LARGE_SHARE);
    const content = large ? largeContent(random) : smallContent(random, item);
    const result = await user.putItem(CRASH_COLLECTION, item, content.source, {
      contentType: large ? 'application/octet-stream' : 'text/vcard',
      author: `crash-writer-${writer}`,
      precondition,
    });
    // The body was read to the end whatever the outcome: content is ingested before the
    // precondition is checked.
    const hash = content.hash();
    switch (result.kind) {
      case 'written': {
        const { revision } = result;
        const storage = content.size > CRASH_INLINE_LIMIT_BYTES ? 'blob' : 'inline';
        if (revision.contentHash !== hash || revision.size !== content.size || revision.storage !== storage) {
          throw new Error(
            `the store acknowledged ${revision.id} as ${revision.size} ${revision.storage} bytes with hash ${revision.contentHash}, ` +
              `but the writer sent ${content.size} bytes (${storage}) with hash ${hash}`,
          );
        }
        ack({ type: 'ack', writer, item, revision: revision.id, seq: revision.seq, hash, size: content.size, storage });
        remember(item, revision);
        break;
      }
      case 'precondition-failed':
        remember(item, result.current);
        break;
      default:
        throw new Error(`unexpected outcome of a put of ${item}: ${result.kind}`);
    }
  }
}
