// Applies segment records to a restored SQLite database, row by row, exactly as the
// engine wrote them: the same ids, sequence numbers and times, so revision ids, ETags and
// history survive a restore unchanged.
import type Database from 'better-sqlite3';
import type { CredentialRow, SegmentRecord, UserRow } from './format.ts';

type ChangeRecord = Exclude<SegmentRecord, { type: 'accounts' }>;

export interface Replayer {
  apply(record: ChangeRecord): void;
  applyAccounts(users: readonly UserRow[], credentials: readonly CredentialRow[]): void;
}

export function createReplayer(db: Database.Database): Replayer {
  const upsertItem = db.prepare(
    `INSERT INTO items (id, collection_id, name, head_revision_id, deleted, unique_key) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET head_revision_id = excluded.head_revision_id, deleted = excluded.deleted, unique_key = excluded.unique_key`,
  );
  const insertRevision = db.prepare(
    `INSERT OR IGNORE INTO revisions (id, item_id, parent_id, seq, deleted, content_hash, size, content_type, storage,
       inline_content, author, created_at, restored_from, unique_key)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const insertChange = db.prepare(
    'INSERT OR IGNORE INTO changes (seq, user_id, collection_id, revision_id, collection_state, at) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const upsertCollection = db.prepare(
    `INSERT INTO collections (id, user_id, name, kind, props, created_at, updated_at, deleted_at, seq, parent_id, path, deleted_with)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, kind = excluded.kind, props = excluded.props,
       updated_at = excluded.updated_at, deleted_at = excluded.deleted_at, seq = excluded.seq,
       parent_id = excluded.parent_id, path = excluded.path, deleted_with = excluded.deleted_with`,
  );
  const upsertUser = db.prepare(
    `INSERT INTO users (id, name, password_hash, created_at, deleted_at, quota_bytes) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash, deleted_at = excluded.deleted_at,
       quota_bytes = excluded.quota_bytes`,
  );
  const upsertCredential = db.prepare(
    `INSERT INTO credentials (id, user_id, kind, label, secret_hash, created_at, last_used_at, expires_at, revoked_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET label = excluded.label, last_used_at = excluded.last_used_at,
       expires_at = excluded.expires_at, revoked_at = excluded.revoked_at`,
  );
  return {
    apply(record) {
      if (record.type === 'collection') {
        const c = record.collection;
        upsertCollection.run(c.id, c.userId, c.name, c.kind, JSON.stringify(c.props), c.createdAt, c.updatedAt, c.deletedAt, c.seq, c.parentId, c.path, c.deletedAt === null ? null : record.deletedWith);
        insertChange.run(record.seq, record.userId, record.collectionId, null, JSON.stringify(c), record.at);
        return;
      }
      const r = record.revision;
      const inline = record.inline === null ? null : Buffer.from(record.inline, 'base64');
      upsertItem.run(r.itemId, r.collectionId, r.itemName, r.id, r.deleted ? 1 : 0, record.uniqueKey);
      insertRevision.run(r.id, r.itemId, r.parentId, r.seq, r.deleted ? 1 : 0, r.contentHash, r.size, r.contentType, r.storage, inline, r.author, r.createdAt, r.restoredFrom, record.uniqueKey);
      insertChange.run(record.seq, record.userId, record.collectionId, r.id, null, record.at);
    },
    applyAccounts(users, credentials) {
      for (const u of users) upsertUser.run(u.id, u.name, u.password_hash, u.created_at, u.deleted_at, u.quota_bytes ?? null);
      for (const c of credentials) upsertCredential.run(c.id, c.user_id, c.kind, c.label, c.secret_hash, c.created_at, c.last_used_at, c.expires_at, c.revoked_at);
    },
  };
}
