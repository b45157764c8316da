// The SQLite schema, as forward-only migrations. A migration never edits an earlier one:
// a store made by any release opens in every later release.
import type Database from 'better-sqlite3';
import type { Migration } from './migrate.ts';

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'store identity, users, credentials, collections, items, revisions, change log',
    up(db) {
      db.exec(`
        CREATE TABLE meta (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE users (
          id            INTEGER PRIMARY KEY,
          name          TEXT NOT NULL UNIQUE,
          password_hash TEXT NOT NULL,
          created_at    TEXT NOT NULL,
          deleted_at    TEXT
        ) STRICT;

        CREATE TABLE credentials (
          id           TEXT PRIMARY KEY,
          user_id      INTEGER NOT NULL REFERENCES users(id),
          kind         TEXT NOT NULL CHECK (kind IN ('app-password', 'token')),
          label        TEXT NOT NULL,
          secret_hash  TEXT NOT NULL UNIQUE,
          created_at   TEXT NOT NULL,
          last_used_at TEXT,
          expires_at   TEXT,
          revoked_at   TEXT
        ) STRICT;
        CREATE INDEX credentials_user ON credentials(user_id, kind);

        CREATE TABLE collections (
          id         INTEGER PRIMARY KEY,
          user_id    INTEGER NOT NULL REFERENCES users(id),
          name       TEXT NOT NULL,
          kind       TEXT NOT NULL,
          props      TEXT NOT NULL,
          created_at TEXT NOT NULL,
          updated_at TEXT NOT NULL,
          deleted_at TEXT,
          seq        INTEGER NOT NULL
        ) STRICT;
        -- Names are unique among live collections only: a deleted one keeps its name in
        -- the trash while a new collection takes it.
        CREATE UNIQUE INDEX collections_live_name ON collections(user_id, name) WHERE deleted_at IS NULL;

        -- head_revision_id has no foreign key: item and head revision are written in one
        -- transaction, and the integrity check verifies every head.
        CREATE TABLE items (
          id               INTEGER PRIMARY KEY,
          collection_id    INTEGER NOT NULL REFERENCES collections(id),
          name             TEXT NOT NULL,
          head_revision_id TEXT NOT NULL,
          deleted          INTEGER NOT NULL,
          UNIQUE (collection_id, name)
        ) STRICT;
        CREATE INDEX items_deleted ON items(collection_id, deleted);

        CREATE TABLE revisions (
          id             TEXT PRIMARY KEY,
          item_id        INTEGER NOT NULL REFERENCES items(id),
          parent_id      TEXT,
          seq            INTEGER NOT NULL UNIQUE,
          deleted        INTEGER NOT NULL,
          content_hash   TEXT,
          size           INTEGER NOT NULL,
          content_type   TEXT,
          storage        TEXT NOT NULL CHECK (storage IN ('inline', 'blob', 'none')),
          inline_content BLOB,
          author         TEXT NOT NULL,
          created_at     TEXT NOT NULL,
          restored_from  TEXT
        ) STRICT;
        CREATE INDEX revisions_item ON revisions(item_id, seq);
        CREATE INDEX revisions_blob ON revisions(content_hash) WHERE storage = 'blob';

        -- The change log. AUTOINCREMENT: a sequence number is never handed out twice, even
        -- after the newest change is gone.
        CREATE TABLE changes (
          seq              INTEGER PRIMARY KEY AUTOINCREMENT,
          user_id          INTEGER NOT NULL,
          collection_id    INTEGER NOT NULL,
          revision_id      TEXT,
          collection_state TEXT,
          at               TEXT NOT NULL
        ) STRICT;
        CREATE INDEX changes_user ON changes(user_id, seq);
        CREATE INDEX changes_collection ON changes(collection_id, seq);
      `);
    },
  },
  {
    version: 2,
    description: 'nested collections (parent, materialised path), dead properties of items, unique keys (UIDs)',
    up(db) {
      db.exec(`
        ALTER TABLE collections ADD COLUMN parent_id INTEGER REFERENCES collections(id);
        -- The collection's path from the top ("photos/2024"), kept in step with every move,
        -- so a URL resolves with one indexed lookup.
        ALTER TABLE collections ADD COLUMN path TEXT NOT NULL DEFAULT '';
        -- Which collection's deletion took this one to the trash: restoring that one
        -- brings back exactly the subtree deleted with it.
        ALTER TABLE collections ADD COLUMN deleted_with INTEGER;
        UPDATE collections SET path = name;
        DROP INDEX collections_live_name;
        CREATE UNIQUE INDEX collections_live_path ON collections(user_id, path) WHERE deleted_at IS NULL;
        CREATE INDEX collections_parent ON collections(parent_id);

        -- Dead properties (WebDAV PROPPATCH on a resource), as JSON; not versioned.
        ALTER TABLE items ADD COLUMN props TEXT;
        -- A key that must be unique among a collection's live items: a vCard's or an
        -- event's UID. Kept on each revision (so a restore brings its own back) and on the
        -- item for the check.
        ALTER TABLE items ADD COLUMN unique_key TEXT;
        ALTER TABLE revisions ADD COLUMN unique_key TEXT;
        CREATE INDEX items_unique_key ON items(collection_id, unique_key) WHERE unique_key IS NOT NULL;
      `);
    },
  },
  {
    version: 3,
    description: "per-user quotas and a kept usage figure; a 'files' folder for every user",
    up(db) {
      db.exec(`
        -- The user's own quota in bytes; NULL: the server's default applies.
        ALTER TABLE users ADD COLUMN quota_bytes INTEGER CHECK (quota_bytes IS NULL OR quota_bytes >= 0);
        -- The bytes of the user's live content (the heads of live items in live
        -- collections), kept in step by every write in its own transaction, so the quota
        -- check costs one row read. History and the trash are not charged.
        ALTER TABLE users ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0;
        UPDATE users SET used_bytes = (
          SELECT coalesce(sum(r.size), 0) FROM collections c
          JOIN items i ON i.collection_id = c.id AND i.deleted = 0
          JOIN revisions r ON r.id = i.head_revision_id
          WHERE c.user_id = users.id AND c.deleted_at IS NULL
        );
      `);
      addFilesFolders(db);
    },
  },
  {
    version: 4,
    description: 'conflict marks: revisions that lost a conflict between a device and the server',
    up(db) {
      db.exec(`
        -- A revision that lost a conflict (docs/sync.md). The revision stays in its item's
        -- history; this row lets the user list the losers and restore one.
        CREATE TABLE conflicts (
          revision_id TEXT PRIMARY KEY REFERENCES revisions(id),
          user_id     INTEGER NOT NULL REFERENCES users(id),
          item_id     INTEGER NOT NULL REFERENCES items(id),
          winner_id   TEXT NOT NULL,
          at          TEXT NOT NULL,
          -- Set when the user decided (kept the winner, or restored this side).
          resolved_at TEXT
        ) STRICT;
        CREATE INDEX conflicts_user ON conflicts(user_id, at) WHERE resolved_at IS NULL;
      `);
    },
  },
];

/** Version 3: every user gets the top-level file collection new users start with, unless
 * they already have a live top-level collection named "files" (of whatever kind: theirs is
 * kept as it is). Written as version 3 wrote collections, change log entry included, so
 * phones and backups see it like any other new collection. */
function addFilesFolders(db: Database.Database): void {
  const at = new Date().toISOString();
  const props = JSON.stringify({ displayName: 'Files' });
  const users = db
    .prepare(
      `SELECT id FROM users WHERE NOT EXISTS (
         SELECT 1 FROM collections c WHERE c.user_id = users.id AND c.parent_id IS NULL AND c.name = 'files' AND c.deleted_at IS NULL
       ) ORDER BY id`,
    )
    .pluck()
    .all() as number[];
  const insert = db.prepare(
    `INSERT INTO collections (user_id, parent_id, name, path, kind, props, created_at, updated_at, seq)
     VALUES (?, NULL, 'files', 'files', 'files', ?, ?, ?, 0)`,
  );
  const change = db.prepare('INSERT INTO changes (user_id, collection_id, at) VALUES (?, ?, ?)');
  const record = db.prepare('UPDATE collections SET seq = ? WHERE id = ?');
  const state = db.prepare('UPDATE changes SET collection_state = ? WHERE seq = ?');
  for (const userId of users) {
    const id = Number(insert.run(userId, props, at, at).lastInsertRowid);
    const seq = Number(change.run(userId, id, at).lastInsertRowid);
    record.run(seq, id);
    const collection = {
      id,
      userId,
      name: 'files',
      parentId: null,
      path: 'files',
      kind: 'files',
      props: { displayName: 'Files' },
      createdAt: at,
      updatedAt: at,
      deletedAt: null,
      seq,
    };
    state.run(JSON.stringify(collection), seq);
  }
}
