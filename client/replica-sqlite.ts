// The replica in a SQLite file (Node): the engine `holdfast device` and Node apps use.
// Writes are committed with synchronous=FULL before their promise resolves.
import Database from 'better-sqlite3';
import type { ReplicaCollection, ReplicaConflict, ReplicaCursor, ReplicaItem, ReplicaRevision, ReplicaStore } from './replica.ts';

interface RevisionRow {
  id: string;
  collection_path: string;
  kind: string;
  item: string;
  parent_id: string | null;
  deleted: number;
  content: Buffer | null;
  content_hash: string | null;
  content_type: string | null;
  author: string;
  created_at: string;
  local: number;
  state: ReplicaRevision['state'];
  refusal: string | null;
}

interface ItemRow {
  collection_path: string;
  kind: string;
  name: string;
  head_id: string;
  deleted: number;
  content: Buffer | null;
  content_type: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS revisions (
  ord INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  collection_path TEXT NOT NULL, kind TEXT NOT NULL, item TEXT NOT NULL,
  parent_id TEXT, deleted INTEGER NOT NULL, content BLOB, content_hash TEXT, content_type TEXT,
  author TEXT NOT NULL, created_at TEXT NOT NULL, local INTEGER NOT NULL,
  state TEXT NOT NULL, refusal TEXT
);
CREATE INDEX IF NOT EXISTS revisions_pending ON revisions(state) WHERE state = 'pending';
CREATE TABLE IF NOT EXISTS items (
  collection_path TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
  head_id TEXT NOT NULL, deleted INTEGER NOT NULL, content BLOB, content_type TEXT,
  PRIMARY KEY (collection_path, name)
);
CREATE TABLE IF NOT EXISTS collections (
  path TEXT PRIMARY KEY, kind TEXT NOT NULL, server_id INTEGER,
  props TEXT NOT NULL, pending_props TEXT, deleted INTEGER NOT NULL, pending_delete INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS conflicts (
  revision_id TEXT PRIMARY KEY, winner_revision_id TEXT NOT NULL, collection_path TEXT, item_name TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursor (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  cursor TEXT, store_id TEXT NOT NULL, generation INTEGER NOT NULL, sequence INTEGER NOT NULL
);
`;

interface CollectionRow {
  path: string;
  kind: string;
  server_id: number | null;
  props: string;
  pending_props: string | null;
  deleted: number;
  pending_delete: number;
}

function toCollection(row: CollectionRow): ReplicaCollection {
  return {
    path: row.path,
    kind: row.kind,
    serverId: row.server_id,
    props: JSON.parse(row.props) as ReplicaCollection['props'],
    pendingProps: row.pending_props === null ? null : (JSON.parse(row.pending_props) as ReplicaCollection['pendingProps']),
    deleted: row.deleted === 1,
    pendingDelete: row.pending_delete === 1,
  };
}

/** The path itself and every path under it, as a WHERE fragment on (?, ?, ?) = (from, from, from). */
const UNDER = (column: string) => `(${column} = ? OR substr(${column}, 1, length(?) + 1) = ? || '/')`;
const MOVED = (column: string) => `? || substr(${column}, length(?) + 1)`;

function toRevision(row: RevisionRow): ReplicaRevision {
  return {
    id: row.id,
    collectionPath: row.collection_path,
    kind: row.kind,
    item: row.item,
    parentId: row.parent_id,
    deleted: row.deleted === 1,
    content: row.content ? new Uint8Array(row.content) : null,
    contentHash: row.content_hash,
    contentType: row.content_type,
    author: row.author,
    createdAt: row.created_at,
    local: row.local === 1,
    state: row.state,
    refusal: row.refusal,
  };
}

function toItem(row: ItemRow): ReplicaItem {
  return {
    collectionPath: row.collection_path,
    kind: row.kind,
    name: row.name,
    headId: row.head_id,
    deleted: row.deleted === 1,
    content: row.content ? new Uint8Array(row.content) : null,
    contentType: row.content_type,
  };
}

const REVISION_COLUMNS_BUT_CONTENT =
  'ord, id, collection_path, kind, item, parent_id, deleted, content_hash, content_type, author, created_at, local, state, refusal';

/** Opens (or creates) a replica in a SQLite file. */
export function openSqliteReplica(file: string): ReplicaStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // FULL: a local write is on disk before put() returns, even across a power cut.
  db.pragma('synchronous = FULL');
  db.exec(SCHEMA);

  const insertRevision = db.prepare(`INSERT OR IGNORE INTO revisions
    (id, collection_path, kind, item, parent_id, deleted, content, content_hash, content_type, author, created_at, local, state, refusal)
    VALUES (@id, @collectionPath, @kind, @item, @parentId, @deleted, @content, @contentHash, @contentType, @author, @createdAt, @local, @state, @refusal)`);
  const upsertItem = db.prepare(`INSERT INTO items (collection_path, name, kind, head_id, deleted, content, content_type)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (collection_path, name) DO UPDATE SET kind = excluded.kind, head_id = excluded.head_id,
      deleted = excluded.deleted, content = excluded.content, content_type = excluded.content_type`);
  const add = db.transaction((revision: ReplicaRevision, makeHead: boolean) => {
    const content = revision.content ? Buffer.from(revision.content) : null;
    insertRevision.run({ ...revision, deleted: revision.deleted ? 1 : 0, local: revision.local ? 1 : 0, content });
    if (makeHead) {
      upsertItem.run(revision.collectionPath, revision.item, revision.kind, revision.id, revision.deleted ? 1 : 0, revision.deleted ? null : content, revision.contentType);
    }
  });

  const saveCursor = (cursor: ReplicaCursor | undefined) => {
    if (!cursor) db.prepare('DELETE FROM cursor').run();
    else
      db.prepare(`INSERT INTO cursor (one, cursor, store_id, generation, sequence) VALUES (1, ?, ?, ?, ?)
        ON CONFLICT (one) DO UPDATE SET cursor = excluded.cursor, store_id = excluded.store_id,
          generation = excluded.generation, sequence = excluded.sequence`).run(cursor.cursor, cursor.storeId, cursor.generation, cursor.sequence);
  };
  // A crash part way through a pull leaves the replica and its cursor as they were before it.
  const applyPull = db.transaction((steps: { revision: ReplicaRevision; makeHead: boolean }[], cursor: ReplicaCursor) => {
    for (const step of steps) add(step.revision, step.makeHead);
    saveCursor(cursor);
  });

  const getCollection = (path: string): ReplicaCollection | undefined => {
    const row = db.prepare('SELECT * FROM collections WHERE path = ?').get(path) as CollectionRow | undefined;
    return row ? toCollection(row) : undefined;
  };
  const updateCollection = db.transaction((path: string, change: (current: ReplicaCollection | undefined) => ReplicaCollection | undefined) => {
    const next = change(getCollection(path));
    if (!next) return;
    if (next.path !== path) throw new Error(`updateCollection changes ${path}, not ${next.path}; moveCollection moves a collection`);
    db.prepare(`INSERT INTO collections (path, kind, server_id, props, pending_props, deleted, pending_delete) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, server_id = excluded.server_id, props = excluded.props,
        pending_props = excluded.pending_props, deleted = excluded.deleted, pending_delete = excluded.pending_delete`).run(
      next.path,
      next.kind,
      next.serverId,
      JSON.stringify(next.props),
      next.pendingProps === null ? null : JSON.stringify(next.pendingProps),
      next.deleted ? 1 : 0,
      next.pendingDelete ? 1 : 0,
    );
  });
  const moveCollection = db.transaction((from: string, to: string) => {
    if (from === to || to.startsWith(`${from}/`)) return;
    // A row whose new place is taken keeps that place's row (the device made or pulled it
    // there already); the log keeps every revision either way.
    for (const [table, column] of [['items', 'collection_path'], ['collections', 'path']] as const) {
      db.prepare(`UPDATE OR IGNORE ${table} SET ${column} = ${MOVED(column)} WHERE ${UNDER(column)}`).run(to, from, from, from, from);
      db.prepare(`DELETE FROM ${table} WHERE ${UNDER(column)}`).run(from, from, from);
    }
    db.prepare(`UPDATE revisions SET collection_path = ${MOVED('collection_path')} WHERE ${UNDER('collection_path')}`).run(to, from, from, from, from);
  });

  const setConflicts = db.transaction((conflicts: readonly ReplicaConflict[]) => {
    db.prepare('DELETE FROM conflicts').run();
    const insert = db.prepare('INSERT OR REPLACE INTO conflicts (revision_id, winner_revision_id, collection_path, item_name, at) VALUES (?, ?, ?, ?, ?)');
    for (const c of conflicts) insert.run(c.revisionId, c.winnerRevisionId, c.collectionPath, c.itemName, c.at);
  });

  return {
    async getItem(collectionPath, name) {
      const row = db.prepare('SELECT * FROM items WHERE collection_path = ? AND name = ?').get(collectionPath, name) as ItemRow | undefined;
      return row ? toItem(row) : undefined;
    },
    async listItems(collectionPath) {
      const rows = (
        collectionPath === undefined
          ? db.prepare('SELECT * FROM items ORDER BY collection_path, name').all()
          : db.prepare('SELECT * FROM items WHERE collection_path = ? ORDER BY name').all(collectionPath)
      ) as ItemRow[];
      return rows.map(toItem);
    },
    async getRevision(id) {
      const row = db.prepare('SELECT * FROM revisions WHERE id = ?').get(id) as RevisionRow | undefined;
      return row ? toRevision(row) : undefined;
    },
    async revisionState(id) {
      const row = db.prepare('SELECT state FROM revisions WHERE id = ?').get(id) as { state: ReplicaRevision['state'] } | undefined;
      return row?.state;
    },
    async addRevision(revision, makeHead) {
      add(revision, makeHead);
    },
    async outbox() {
      return (db.prepare("SELECT * FROM revisions WHERE state = 'pending' ORDER BY ord").all() as RevisionRow[]).map(toRevision);
    },
    async log(options) {
      const columns = options?.content === false ? `${REVISION_COLUMNS_BUT_CONTENT}, NULL AS content` : '*';
      return (db.prepare(`SELECT ${columns} FROM revisions ORDER BY ord`).all() as RevisionRow[]).map(toRevision);
    },
    async countLiveItems() {
      return (db.prepare('SELECT count(*) AS n FROM items WHERE deleted = 0').get() as { n: number }).n;
    },
    async setState(id, state, refusal) {
      db.prepare('UPDATE revisions SET state = ?, refusal = ? WHERE id = ?').run(state, refusal ?? null, id);
    },
    async listCollections() {
      return (db.prepare('SELECT * FROM collections ORDER BY path').all() as CollectionRow[]).map(toCollection);
    },
    async getCollection(path) {
      return getCollection(path);
    },
    async updateCollection(path, change) {
      updateCollection(path, change);
    },
    async moveCollection(from, to) {
      moveCollection(from, to);
    },
    async listConflicts() {
      const rows = db
        .prepare('SELECT revision_id, winner_revision_id, collection_path, item_name, at FROM conflicts ORDER BY at DESC, revision_id')
        .all() as { revision_id: string; winner_revision_id: string; collection_path: string | null; item_name: string; at: string }[];
      return rows.map((r) => ({ revisionId: r.revision_id, winnerRevisionId: r.winner_revision_id, collectionPath: r.collection_path, itemName: r.item_name, at: r.at }));
    },
    async setConflicts(conflicts) {
      setConflicts(conflicts);
    },
    async getCursor() {
      const row = db.prepare('SELECT * FROM cursor WHERE one = 1').get() as
        | { cursor: string | null; store_id: string; generation: number; sequence: number }
        | undefined;
      return row ? { cursor: row.cursor, storeId: row.store_id, generation: row.generation, sequence: row.sequence } : undefined;
    },
    async setCursor(cursor) {
      saveCursor(cursor);
    },
    async applyPull(steps, cursor) {
      applyPull(steps, cursor);
    },
    async close() {
      db.close();
    },
  };
}

export interface SqliteReplicaSummary {
  /** Every collection that holds items or that the device knows (an empty one too), with its display name;
   * `inTrash` when it is deleted (its items are still here). */
  collections: { path: string; kind: string; displayName: string | null; inTrash: boolean; live: number; deleted: number }[];
  revisions: number;
  outbox: number;
  refused: number;
  cursor: ReplicaCursor | undefined;
}

/** Counts what a replica file holds without loading any content, opened read-only (a sync may be running). */
export function summarizeSqliteReplica(file: string): SqliteReplicaSummary {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const itemCounts = `SELECT collection_path AS path, MIN(kind) AS kind, SUM(deleted = 0) AS live, SUM(deleted = 1) AS deleted
         FROM items GROUP BY collection_path`;
    // A replica made before collections were kept has no such table until it is next opened to sync.
    const knowsCollections = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'collections'").get() !== undefined;
    const rows = db
      .prepare(
        knowsCollections
          ? `WITH counts AS (${itemCounts})
             SELECT p.path, COALESCE(c.kind, n.kind) AS kind, json_extract(c.props, '$.displayName') AS displayName,
               COALESCE(c.deleted, 0) AS inTrash, COALESCE(n.live, 0) AS live, COALESCE(n.deleted, 0) AS deleted
             FROM (SELECT path FROM counts UNION SELECT path FROM collections WHERE deleted = 0) p
             LEFT JOIN counts n ON n.path = p.path LEFT JOIN collections c ON c.path = p.path
             ORDER BY p.path`
          : `SELECT path, kind, NULL AS displayName, 0 AS inTrash, live, deleted FROM (${itemCounts}) ORDER BY path`,
      )
      .all() as (Omit<SqliteReplicaSummary['collections'][number], 'inTrash'> & { inTrash: number })[];
    const collections = rows.map((row) => ({ ...row, inTrash: row.inTrash === 1 }));
    const counts = db
      .prepare(`SELECT COUNT(*) AS revisions, COALESCE(SUM(state = 'pending'), 0) AS outbox, COALESCE(SUM(state = 'refused'), 0) AS refused FROM revisions`)
      .get() as { revisions: number; outbox: number; refused: number };
    const row = db.prepare('SELECT * FROM cursor WHERE one = 1').get() as
      | { cursor: string | null; store_id: string; generation: number; sequence: number }
      | undefined;
    const cursor = row ? { cursor: row.cursor, storeId: row.store_id, generation: row.generation, sequence: row.sequence } : undefined;
    return { collections, ...counts, cursor };
  } finally {
    db.close();
  }
}

/** The names of a collection's live items, without their content (read-only), so a caller can fetch one item at a time. */
export function liveItemNamesInSqliteReplica(file: string, collectionPath: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT name FROM items WHERE collection_path = ? AND deleted = 0 ORDER BY name').all(collectionPath) as { name: string }[];
    return rows.map((row) => row.name);
  } finally {
    db.close();
  }
}
