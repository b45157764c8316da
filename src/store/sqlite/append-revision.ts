// The one write every item change makes, inside a group-commit transaction: advance the
// sequence, append the immutable revision, move the item's head, and move the user's usage
// by the difference between the new head and the old (see ./usage.ts).
import type { ContentStorage, Revision } from '../types.ts';
import type { SqliteContext } from './context.ts';
import { charge, chargedSizeOfItem } from './usage.ts';

export interface NewRevision {
  userId: number;
  collectionId: number;
  /** Null when the item does not exist yet. */
  itemId: number | null;
  itemName: string;
  revisionId: string;
  parentId: string | null;
  deleted: boolean;
  contentHash: string | null;
  size: number;
  contentType: string | null;
  storage: ContentStorage;
  inlineContent: Buffer | null;
  author: string;
  restoredFrom: string | null;
  /** When the revision was made, if elsewhere (a device); by default now. */
  createdAt?: string;
  /** The UID the content carries, if the collection keeps them unique. */
  uniqueKey: string | null;
}

export function appendRevision(ctx: SqliteContext, input: NewRevision): Revision {
  const at = ctx.now();
  const seq = Number(
    ctx
      .sql('INSERT INTO changes (user_id, collection_id, revision_id, at) VALUES (?, ?, ?, ?)')
      .run(input.userId, input.collectionId, input.revisionId, at).lastInsertRowid,
  );
  let itemId = input.itemId;
  // Every caller writes into a live collection, so the new head counts unless it is a tombstone.
  charge(ctx, input.userId, (input.deleted ? 0 : input.size) - (itemId === null ? 0 : chargedSizeOfItem(ctx, itemId)));
  if (itemId === null) {
    itemId = Number(
      ctx
        .sql('INSERT INTO items (collection_id, name, head_revision_id, deleted, unique_key) VALUES (?, ?, ?, ?, ?)')
        .run(input.collectionId, input.itemName, input.revisionId, input.deleted ? 1 : 0, input.uniqueKey).lastInsertRowid,
    );
  } else {
    ctx
      .sql('UPDATE items SET head_revision_id = ?, deleted = ?, unique_key = ? WHERE id = ?')
      .run(input.revisionId, input.deleted ? 1 : 0, input.uniqueKey, itemId);
  }
  ctx
    .sql(
      `INSERT INTO revisions (id, item_id, parent_id, seq, deleted, content_hash, size, content_type, storage,
         inline_content, author, created_at, restored_from, unique_key)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(
      input.revisionId,
      itemId,
      input.parentId,
      seq,
      input.deleted ? 1 : 0,
      input.contentHash,
      input.size,
      input.contentType,
      input.storage,
      input.inlineContent,
      input.author,
      input.createdAt ?? at,
      input.restoredFrom,
      input.uniqueKey,
    );
  return {
    id: input.revisionId,
    itemId,
    collectionId: input.collectionId,
    itemName: input.itemName,
    parentId: input.parentId,
    seq,
    deleted: input.deleted,
    contentHash: input.contentHash,
    size: input.size,
    contentType: input.contentType,
    storage: input.storage,
    author: input.author,
    createdAt: input.createdAt ?? at,
    restoredFrom: input.restoredFrom,
  };
}
