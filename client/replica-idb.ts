// The replica in IndexedDB (a browser): the same ReplicaStore as the SQLite engine, with the
// same meaning. Every write is one readwrite transaction asked for 'strict' durability (the
// browser flushes to disk before it reports the transaction complete; browsers without the
// option ignore it), and its promise resolves only when the transaction has completed.
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { ReplicaCollection, ReplicaConflict, ReplicaCursor, ReplicaItem, ReplicaRevision, ReplicaStore } from './replica.ts';

/** A revision as stored: `ord` is its place in the log, given by the auto-increment key. */
interface StoredRevision extends ReplicaRevision {
  ord?: number;
}

interface ReplicaSchema extends DBSchema {
  revisions: { key: number; value: StoredRevision; indexes: { id: string; state: string } };
  items: { key: [string, string]; value: ReplicaItem };
  meta: { key: string; value: ReplicaCursor };
  collections: { key: string; value: ReplicaCollection };
  conflicts: { key: string; value: ReplicaConflict };
}

type WriteStores = ('revisions' | 'items' | 'meta' | 'collections' | 'conflicts')[];
type WriteTransaction = IDBPTransaction<ReplicaSchema, WriteStores, 'readwrite'>;

// 1: revisions, items, meta; 2: collections and conflicts.
const VERSION = 2;
const CURSOR_KEY = 'cursor';

// Structured clone copies a view's whole underlying buffer; store exactly the bytes.
function ownBytes(content: Uint8Array | null): Uint8Array | null {
  return content ? new Uint8Array(content) : null;
}

function toRevision(stored: StoredRevision): ReplicaRevision {
  const { ord: _ord, ...revision } = stored;
  return revision;
}

type Step = { revision: ReplicaRevision; makeHead: boolean };

/**
 * Logs each step's revision (INSERT OR IGNORE: one already held keeps its place in the log and
 * its state) and makes it head where asked. Requests are issued without waiting for each
 * other: a transaction answers them in the order they were made, so the log and the heads end
 * as if the steps ran one by one, without a round trip per step.
 */
async function applySteps(tx: WriteTransaction, steps: readonly Step[]): Promise<void> {
  const revisions = tx.objectStore('revisions');
  const items = tx.objectStore('items');
  const held = await Promise.all(steps.map((step) => revisions.index('id').getKey(step.revision.id)));
  const adding = new Set<string>();
  const writes: Promise<unknown>[] = [];
  try {
    for (const [index, { revision, makeHead }] of steps.entries()) {
      if (held[index] === undefined && !adding.has(revision.id)) {
        adding.add(revision.id);
        writes.push(revisions.add({ ...revision, content: ownBytes(revision.content) }));
      }
      if (makeHead) {
        writes.push(
          items.put({
            collectionPath: revision.collectionPath,
            kind: revision.kind,
            name: revision.item,
            headId: revision.id,
            deleted: revision.deleted,
            content: revision.deleted ? null : ownBytes(revision.content),
            contentType: revision.contentType,
          }),
        );
      }
    }
  } catch (error) {
    // A request refused as it was made (an invalid key): the caller aborts, and the requests
    // already made fail with the transaction; their failures are this one.
    for (const write of writes) write.catch(() => undefined);
    throw error;
  }
  await Promise.all(writes);
}

async function saveCursorInTransaction(tx: WriteTransaction, cursor: ReplicaCursor | undefined): Promise<void> {
  const meta = tx.objectStore('meta');
  if (cursor) await meta.put({ ...cursor }, CURSOR_KEY);
  else await meta.delete(CURSOR_KEY);
}

/** `path` moved from `from` to `to`, or undefined when it is not `from` or under it. */
function movedPath(path: string, from: string, to: string): string | undefined {
  if (path === from) return to;
  return path.startsWith(`${from}/`) ? `${to}${path.slice(from.length)}` : undefined;
}

/**
 * Gives `from` and everything under it the path `to` (moveCollection). A record whose new key
 * is taken keeps that key's record, as in the SQLite engine; the log keeps every revision.
 * Revisions are not indexed by path: a move, which the server makes rarely, walks the log.
 */
async function moveUnder(tx: WriteTransaction, from: string, to: string): Promise<void> {
  const collections = tx.objectStore('collections');
  for (let cursor = await collections.openCursor(); cursor; cursor = await cursor.continue()) {
    const path = movedPath(cursor.value.path, from, to);
    if (path === undefined) continue;
    if (!(await collections.getKey(path))) await collections.put({ ...cursor.value, path });
    await cursor.delete();
  }
  const items = tx.objectStore('items');
  for (let cursor = await items.openCursor(); cursor; cursor = await cursor.continue()) {
    const path = movedPath(cursor.value.collectionPath, from, to);
    if (path === undefined) continue;
    if (!(await items.getKey([path, cursor.value.name]))) await items.put({ ...cursor.value, collectionPath: path });
    await cursor.delete();
  }
  const revisions = tx.objectStore('revisions');
  for (let cursor = await revisions.openCursor(); cursor; cursor = await cursor.continue()) {
    const path = movedPath(cursor.value.collectionPath, from, to);
    if (path !== undefined) await cursor.update({ ...cursor.value, collectionPath: path });
  }
}

/** Opens (or creates) a replica in the IndexedDB database of this name, on this origin. */
export async function openIndexedDbReplica(name: string): Promise<ReplicaStore> {
  if (typeof indexedDB === 'undefined') {
    throw new Error('IndexedDB is not available here: open the replica in a browser page or worker with site storage allowed (on Node, use openSqliteReplica)');
  }
  const db: IDBPDatabase<ReplicaSchema> = await openDB<ReplicaSchema>(name, VERSION, {
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        const revisions = database.createObjectStore('revisions', { keyPath: 'ord', autoIncrement: true });
        revisions.createIndex('id', 'id', { unique: true });
        // Entries of one index key come in primary-key order: pending revisions oldest first.
        revisions.createIndex('state', 'state');
        database.createObjectStore('items', { keyPath: ['collectionPath', 'name'] });
        database.createObjectStore('meta');
      }
      if (oldVersion < 2) {
        database.createObjectStore('collections', { keyPath: 'path' });
        database.createObjectStore('conflicts', { keyPath: 'revisionId' });
      }
    },
    // Another tab wants a newer schema: let it go ahead rather than hang it.
    blocking() {
      db.close();
    },
  });

  /** Runs one readwrite transaction and resolves once it has completed (committed). */
  async function write(stores: WriteStores, work: (tx: WriteTransaction) => Promise<void>): Promise<void> {
    const tx = db.transaction(stores, 'readwrite', { durability: 'strict' });
    try {
      await work(tx);
    } catch (error) {
      // Nothing of a failed write may stay: abort (it may have aborted already) and wait for it.
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      await tx.done.catch(() => undefined);
      throw error;
    }
    await tx.done;
  }

  return {
    async getItem(collectionPath, itemName) {
      return db.get('items', [collectionPath, itemName]);
    },
    async listItems(collectionPath) {
      if (collectionPath === undefined) return db.getAll('items');
      // Arrays sort after every string, so [path, []] bounds every name in the collection.
      return db.getAll('items', IDBKeyRange.bound([collectionPath, ''], [collectionPath, []]));
    },
    async getRevision(id) {
      const stored = await db.getFromIndex('revisions', 'id', id);
      return stored ? toRevision(stored) : undefined;
    },
    async revisionState(id) {
      // IndexedDB reads a record whole; there is no column to read on its own.
      return (await db.getFromIndex('revisions', 'id', id))?.state;
    },
    async addRevision(revision, makeHead) {
      await write(['revisions', 'items'], (tx) => applySteps(tx, [{ revision, makeHead }]));
    },
    async outbox() {
      return (await db.getAllFromIndex('revisions', 'state', 'pending')).map(toRevision);
    },
    async log(options) {
      if (options?.content !== false) return (await db.getAll('revisions')).map(toRevision);
      // A cursor, so each record's content can be let go before the next is read.
      const revisions: ReplicaRevision[] = [];
      let cursor = await db.transaction('revisions').store.openCursor();
      while (cursor) {
        revisions.push({ ...toRevision(cursor.value), content: null });
        cursor = await cursor.continue();
      }
      return revisions;
    },
    async countLiveItems() {
      let live = 0;
      let cursor = await db.transaction('items').store.openCursor();
      while (cursor) {
        if (!cursor.value.deleted) live += 1;
        cursor = await cursor.continue();
      }
      return live;
    },
    async applyPull(steps, cursor) {
      await write(['revisions', 'items', 'meta'], async (tx) => {
        await applySteps(tx, steps);
        await saveCursorInTransaction(tx, cursor);
      });
    },
    async setState(id, state, refusal) {
      await write(['revisions'], async (tx) => {
        const revisions = tx.objectStore('revisions');
        const ord = await revisions.index('id').getKey(id);
        if (ord === undefined) return;
        const stored = await revisions.get(ord);
        if (stored) await revisions.put({ ...stored, state, refusal: refusal ?? null });
      });
    },
    async listCollections() {
      return db.getAll('collections');
    },
    async getCollection(path) {
      return db.get('collections', path);
    },
    async updateCollection(path, change) {
      await write(['collections'], async (tx) => {
        const store = tx.objectStore('collections');
        const next = change(await store.get(path));
        if (!next) return;
        if (next.path !== path) throw new Error(`updateCollection changes ${path}, not ${next.path}; moveCollection moves a collection`);
        await store.put(next);
      });
    },
    async moveCollection(from, to) {
      if (from === to || to.startsWith(`${from}/`)) return;
      await write(['collections', 'items', 'revisions'], (tx) => moveUnder(tx, from, to));
    },
    async listConflicts() {
      const conflicts = await db.getAll('conflicts');
      // Newest first, as the SQLite engine orders them.
      return conflicts.sort((a, b) => (a.at !== b.at ? (a.at < b.at ? 1 : -1) : a.revisionId < b.revisionId ? -1 : 1));
    },
    async setConflicts(conflicts) {
      await write(['conflicts'], async (tx) => {
        const store = tx.objectStore('conflicts');
        await store.clear();
        await Promise.all(conflicts.map((conflict) => store.put({ ...conflict })));
      });
    },
    async getCursor() {
      return db.get('meta', CURSOR_KEY);
    },
    async setCursor(cursor) {
      await write(['meta'], (tx) => saveCursorInTransaction(tx, cursor));
    },
    async close() {
      db.close();
    },
  };
}
