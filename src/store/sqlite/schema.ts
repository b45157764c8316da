// The SQLite schema, as forward-only migrations. A migration never edits an earlier one:
// a store made by any release opens in every later release.
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
