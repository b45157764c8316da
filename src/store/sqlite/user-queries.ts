// The lookups every part of one user's store shares. Each is bound to the user through
// the collections table: nothing found here can belong to another user.
import { randomUUID } from 'node:crypto';
import { assertValidName } from '../names.ts';
import type { ChangeOptions, Collection, CollectionKind, CollectionProps, Precondition, Revision } from '../types.ts';
import { appendRevision } from './append-revision.ts';
import type { SqliteContext } from './context.ts';
import { REVISION_COLUMNS, toCollection, toRevision } from './rows.ts';
import type { CollectionRow, RevisionRow } from './rows.ts';

export type RevisionWithContent = RevisionRow & { inline_content: Buffer | null; unique_key: string | null };

const LIVE_COLLECTION = 'SELECT * FROM collections WHERE user_id = ? AND path = ? AND deleted_at IS NULL';
const ITEM_HEAD = `SELECT ${REVISION_COLUMNS} FROM items i
  JOIN revisions r ON r.id = i.head_revision_id
  WHERE i.collection_id = ? AND i.name = ?`;
const USER_REVISION = `SELECT ${REVISION_COLUMNS}, r.inline_content, r.unique_key FROM revisions r
  JOIN items i ON i.id = r.item_id
  JOIN collections c ON c.id = i.collection_id
  WHERE r.id = ? AND c.user_id = ?`;

/** Throws StoreInputError unless every segment of the path is a valid name. */
export function assertValidPath(path: string): void {
  for (const segment of path.split('/')) assertValidName('collection', segment);
}

export function joinPath(parent: string | null, name: string): string {
  return parent === null ? name : `${parent}/${name}`;
}

/** Why a precondition fails, or null if it holds. `head` is the item's current revision. */
export function checkPrecondition(precondition: Precondition | undefined, head: Revision | null): { current: Revision | null } | null {
  const live = head && !head.deleted ? head : null;
  switch (precondition?.kind ?? 'none') {
    case 'none':
      return null;
    case 'must-not-exist':
      return live ? { current: live } : null;
    case 'match':
      return live && precondition?.kind === 'match' && live.id === precondition.revisionId ? null : { current: live };
  }
}

/** For restores, which act on deleted items too: `match` names the current head, whether
 * it is live or a tombstone. Null if the precondition holds. */
export function checkHeadPrecondition(precondition: Precondition | undefined, head: Revision): { current: Revision | null } | null {
  if (precondition?.kind === 'match' && precondition.revisionId !== head.id) return { current: head.deleted ? null : head };
  if (precondition?.kind === 'must-not-exist' && !head.deleted) return { current: head };
  return null;
}

/** What an item's head counts for in the user's usage: its size, or nothing if it is a
 * tombstone or there is no item. */
export function liveSize(head: Revision | null): number {
  return head && !head.deleted ? head.size : 0;
}

export function newRevisionId(clientMade: string | undefined): string {
  return clientMade ?? randomUUID();
}

export type UserQueries = ReturnType<typeof userQueries>;

export function userQueries(ctx: SqliteContext, userId: number) {
  const liveCollection = (path: string): Collection | null => {
    const row = ctx.sql(LIVE_COLLECTION).get(userId, path) as CollectionRow | undefined;
    return row ? toCollection(row) : null;
  };
  /** Records a change to a collection's own state (create, props, move, delete, restore). */
  const recordCollectionChange = (collectionId: number): Collection => {
    const at = ctx.now();
    const seq = Number(
      ctx.sql('INSERT INTO changes (user_id, collection_id, at) VALUES (?, ?, ?)').run(userId, collectionId, at).lastInsertRowid,
    );
    ctx.sql('UPDATE collections SET seq = ?, updated_at = ? WHERE id = ?').run(seq, at, collectionId);
    const collection = toCollection(ctx.sql('SELECT * FROM collections WHERE id = ?').get(collectionId) as CollectionRow);
    ctx.sql('UPDATE changes SET collection_state = ? WHERE seq = ?').run(JSON.stringify(collection), seq);
    return collection;
  };
  return {
    userId,
    liveCollection,
    collectionById(id: number): Collection {
      return toCollection(ctx.sql('SELECT * FROM collections WHERE id = ?').get(id) as CollectionRow);
    },
    itemHead(collectionId: number, name: string): Revision | null {
      const row = ctx.sql(ITEM_HEAD).get(collectionId, name) as RevisionRow | undefined;
      return row ? toRevision(row) : null;
    },
    userRevision(revisionId: string): RevisionWithContent | null {
      return (ctx.sql(USER_REVISION).get(revisionId, userId) as RevisionWithContent | undefined) ?? null;
    },
    /** The name of another live item in the collection that holds this unique key. */
    keyHolder(collectionId: number, key: string | null, exceptNames: readonly string[]): string | null {
      if (key === null) return null;
      const names = ctx
        .sql('SELECT name FROM items WHERE collection_id = ? AND unique_key = ? AND deleted = 0')
        .pluck()
        .all(collectionId, key) as string[];
      return names.find((name) => !exceptNames.includes(name)) ?? null;
    },
    insertCollection(input: { name: string; kind: CollectionKind; props: CollectionProps; parent: Collection | null }): Collection {
      const at = ctx.now();
      const id = Number(
        ctx
          .sql(
            `INSERT INTO collections (user_id, parent_id, name, path, kind, props, created_at, updated_at, seq)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
          )
          .run(userId, input.parent?.id ?? null, input.name, joinPath(input.parent?.path ?? null, input.name), input.kind, JSON.stringify(input.props), at, at)
          .lastInsertRowid,
      );
      return recordCollectionChange(id);
    },
    recordCollectionChange,
    /** A new revision of an item (or a new item) carrying `source`'s content. */
    copyContent(
      collection: Collection,
      target: { itemId: number | null; name: string; parentId: string | null },
      source: RevisionWithContent,
      options: ChangeOptions,
      restoredFrom: string | null,
    ): Revision {
      return appendRevision(ctx, {
        userId,
        collectionId: collection.id,
        itemId: target.itemId,
        itemName: target.name,
        revisionId: newRevisionId(options.revisionId),
        parentId: target.parentId,
        deleted: false,
        contentHash: source.content_hash,
        size: source.size,
        contentType: source.content_type,
        storage: source.storage,
        inlineContent: source.inline_content,
        author: options.author,
        restoredFrom,
        uniqueKey: source.unique_key,
      });
    },
    /** Dead properties go with an item that is copied or moved (RFC 4918 §9.8.2, §9.9.1):
     * the destination's become the source's, in the same transaction as its content. */
    carryProps(fromItemId: number, toItemId: number): void {
      ctx.sql('UPDATE items SET props = (SELECT props FROM items WHERE id = ?) WHERE id = ?').run(fromItemId, toItemId);
    },
    tombstone(collection: Collection, head: Revision, options: ChangeOptions): Revision {
      return appendRevision(ctx, {
        userId,
        collectionId: collection.id,
        itemId: head.itemId,
        itemName: head.itemName,
        revisionId: newRevisionId(options.revisionId),
        parentId: head.id,
        deleted: true,
        contentHash: null,
        size: 0,
        contentType: null,
        storage: 'none',
        inlineContent: null,
        author: options.author,
        restoredFrom: null,
        uniqueKey: null,
      });
    },
  };
}

/** Creates each missing collection along `path` (a server that came back empty). */
export function createCollectionPath(q: UserQueries, path: string, kind: Collection['kind']): Collection {
  let parent: Collection | null = null;
  let prefix = '';
  for (const name of path.split('/')) {
    prefix = prefix === '' ? name : `${prefix}/${name}`;
    parent = q.liveCollection(prefix) ?? q.insertCollection({ name, kind, props: {}, parent });
  }
  if (!parent) throw new Error(`empty collection path ${JSON.stringify(path)}`);
  return parent;
}
