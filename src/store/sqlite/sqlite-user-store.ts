// One user's view of the SQLite store. Every query is bound to `userId` through the
// collections table, so nothing reached from here can belong to another user.
import { randomUUID } from 'node:crypto';
import { ingestContent, sha256Hex } from '../content.ts';
import { assertValidName, assertValidRevisionId } from '../names.ts';
import type { UserStore } from '../store.ts';
import { COLLECTION_KINDS } from '../types.ts';
import type {
  Change,
  ChangeOptions,
  ChangesQuery,
  Collection,
  CollectionChangeResult,
  CollectionKind,
  CollectionProps,
  Content,
  ContentSource,
  CreateCollectionResult,
  DeleteResult,
  Precondition,
  RestoreResult,
  Revision,
  WriteOptions,
  WriteResult,
} from '../types.ts';
import { appendRevision } from './append-revision.ts';
import { readChanges } from './changes.ts';
import type { SqliteContext } from './context.ts';
import { REVISION_COLUMNS, toCollection, toItem, toRevision } from './rows.ts';
import type { CollectionRow, RevisionRow } from './rows.ts';
import { StoredContentError } from './stored-content-error.ts';

const LIVE_COLLECTION = 'SELECT * FROM collections WHERE user_id = ? AND name = ? AND deleted_at IS NULL';
const ITEM_HEAD = `SELECT ${REVISION_COLUMNS} FROM items i
  JOIN revisions r ON r.id = i.head_revision_id
  WHERE i.collection_id = ? AND i.name = ?`;
const USER_REVISION = `SELECT ${REVISION_COLUMNS}, r.inline_content FROM revisions r
  JOIN items i ON i.id = r.item_id
  JOIN collections c ON c.id = i.collection_id
  WHERE r.id = ? AND c.user_id = ?`;

type RevisionWithContent = RevisionRow & { inline_content: Buffer | null };

/** Why a precondition fails, or null if it holds. `head` is the item's current revision. */
function checkPrecondition(precondition: Precondition | undefined, head: Revision | null): { current: Revision | null } | null {
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

export function createSqliteUserStore(ctx: SqliteContext, userId: number): UserStore {
  const liveCollection = (name: string): Collection | null => {
    const row = ctx.sql(LIVE_COLLECTION).get(userId, name) as CollectionRow | undefined;
    return row ? toCollection(row) : null;
  };
  const itemHead = (collectionId: number, name: string): Revision | null => {
    const row = ctx.sql(ITEM_HEAD).get(collectionId, name) as RevisionRow | undefined;
    return row ? toRevision(row) : null;
  };
  const userRevision = (revisionId: string): RevisionWithContent | null =>
    (ctx.sql(USER_REVISION).get(revisionId, userId) as RevisionWithContent | undefined) ?? null;

  /** Records a change to a collection's own state (create, props, delete, restore). */
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

  /** Writes `source`'s content as a new revision of an existing item (restore, undelete). */
  const copyRevision = (
    collection: Collection,
    head: Revision,
    source: RevisionWithContent,
    options: ChangeOptions,
  ): Revision =>
    appendRevision(ctx, {
      userId,
      collectionId: collection.id,
      itemId: head.itemId,
      itemName: head.itemName,
      revisionId: newRevisionId(options.revisionId),
      parentId: head.id,
      deleted: false,
      contentHash: source.content_hash,
      size: source.size,
      contentType: source.content_type,
      storage: source.storage,
      inlineContent: source.inline_content,
      author: options.author,
      restoredFrom: source.id,
    });

  const writeItem = async (collectionName: string, name: string, content: ContentSource, options: WriteOptions): Promise<WriteResult> => {
    // Checked again inside the transaction; this early look avoids storing a blob for a
    // write that cannot succeed.
    if (!liveCollection(collectionName)) return { kind: 'no-collection' };
    const ingested = await ingestContent(content, ctx.blobs, {
      inlineLimitBytes: ctx.inlineLimitBytes,
      ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
    });
    if (ingested.kind === 'too-large') return ingested;

    return ctx.committer.run((): WriteResult => {
      const collection = liveCollection(collectionName);
      if (!collection) return { kind: 'no-collection' };
      const head = itemHead(collection.id, name);
      if (options.revisionId !== undefined) {
        const existing = userRevision(options.revisionId);
        if (existing) {
          const same = existing.item_id === head?.itemId && existing.content_hash === ingested.hash && existing.deleted === 0;
          return same ? { kind: 'unchanged', revision: toRevision(existing) } : { kind: 'revision-id-taken' };
        }
        if (ctx.sql('SELECT 1 FROM revisions WHERE id = ?').get(options.revisionId)) return { kind: 'revision-id-taken' };
      }
      const failed = checkPrecondition(options.precondition, head);
      if (failed) return { kind: 'precondition-failed', current: failed.current };
      const revision = appendRevision(ctx, {
        userId,
        collectionId: collection.id,
        itemId: head?.itemId ?? null,
        itemName: name,
        revisionId: newRevisionId(options.revisionId),
        parentId: head?.id ?? null,
        deleted: false,
        contentHash: ingested.hash,
        size: ingested.size,
        contentType: options.contentType,
        storage: ingested.kind,
        inlineContent: ingested.kind === 'inline' ? ingested.bytes : null,
        author: options.author,
        restoredFrom: null,
      });
      return { kind: 'written', revision, created: head === null || head.deleted };
    });
  };

  return {
    userId,

    async listCollections(options) {
      const rows = ctx
        .sql(
          options?.includeDeleted
            ? 'SELECT * FROM collections WHERE user_id = ? ORDER BY name, id'
            : 'SELECT * FROM collections WHERE user_id = ? AND deleted_at IS NULL ORDER BY name',
        )
        .all(userId) as CollectionRow[];
      return rows.map(toCollection);
    },

    async getCollection(name) {
      return liveCollection(name);
    },

    createCollection(input: { name: string; kind: CollectionKind; props?: CollectionProps }): Promise<CreateCollectionResult> {
      assertValidName('collection', input.name);
      if (!COLLECTION_KINDS.includes(input.kind)) {
        throw new Error(`unknown collection kind ${JSON.stringify(input.kind)}; expected one of ${COLLECTION_KINDS.join(', ')}`);
      }
      return ctx.committer.run((): CreateCollectionResult => {
        const existing = liveCollection(input.name);
        if (existing) return { kind: 'exists', collection: existing };
        const at = ctx.now();
        const id = Number(
          ctx
            .sql(
              `INSERT INTO collections (user_id, name, kind, props, created_at, updated_at, seq)
               VALUES (?, ?, ?, ?, ?, ?, 0)`,
            )
            .run(userId, input.name, input.kind, JSON.stringify(input.props ?? {}), at, at).lastInsertRowid,
        );
        return { kind: 'created', collection: recordCollectionChange(id) };
      });
    },

    updateCollection(name, props) {
      return ctx.committer.run((): CollectionChangeResult => {
        const collection = liveCollection(name);
        if (!collection) return { kind: 'not-found' };
        const merged: CollectionProps = { ...collection.props };
        for (const [key, value] of Object.entries(props) as Array<[keyof CollectionProps, unknown]>) {
          if (value === undefined) continue;
          if (key === 'extra') merged.extra = { ...collection.props.extra, ...(value as Record<string, string>) };
          else (merged as Record<string, unknown>)[key] = value;
        }
        ctx.sql('UPDATE collections SET props = ? WHERE id = ?').run(JSON.stringify(merged), collection.id);
        return { kind: 'changed', collection: recordCollectionChange(collection.id) };
      });
    },

    deleteCollection(name) {
      return ctx.committer.run((): CollectionChangeResult => {
        const collection = liveCollection(name);
        if (!collection) return { kind: 'not-found' };
        ctx.sql('UPDATE collections SET deleted_at = ? WHERE id = ?').run(ctx.now(), collection.id);
        return { kind: 'changed', collection: recordCollectionChange(collection.id) };
      });
    },

    restoreCollection(collectionId, newName) {
      if (newName !== undefined) assertValidName('collection', newName);
      return ctx.committer.run((): CollectionChangeResult => {
        const row = ctx
          .sql('SELECT * FROM collections WHERE id = ? AND user_id = ? AND deleted_at IS NOT NULL')
          .get(collectionId, userId) as CollectionRow | undefined;
        if (!row) return { kind: 'not-found' };
        const name = newName ?? row.name;
        const taken = liveCollection(name);
        if (taken) return { kind: 'name-taken', collection: taken };
        ctx.sql('UPDATE collections SET deleted_at = NULL, name = ? WHERE id = ?').run(name, row.id);
        return { kind: 'changed', collection: recordCollectionChange(row.id) };
      });
    },

    async listItems(collectionName, options) {
      const collection = liveCollection(collectionName);
      if (!collection) return null;
      const rows = ctx
        .sql(
          `SELECT ${REVISION_COLUMNS} FROM items i JOIN revisions r ON r.id = i.head_revision_id
           WHERE i.collection_id = ? ${options?.includeDeleted ? '' : 'AND i.deleted = 0'} ORDER BY i.name`,
        )
        .all(collection.id) as RevisionRow[];
      return rows.map((row) => toItem(toRevision(row)));
    },

    async getItem(collectionName, name) {
      const collection = liveCollection(collectionName);
      if (!collection) return null;
      const head = itemHead(collection.id, name);
      return head ? toItem(head) : null;
    },

    putItem(collectionName, name, content: ContentSource, options: WriteOptions): Promise<WriteResult> {
      assertValidName('item', name);
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.inFlight.run(() => writeItem(collectionName, name, content, options));
    },

    deleteItem(collectionName, name, options) {
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.committer.run((): DeleteResult => {
        const collection = liveCollection(collectionName);
        if (!collection) return { kind: 'no-collection' };
        const head = itemHead(collection.id, name);
        const failed = checkPrecondition(options.precondition, head);
        if (failed) return { kind: 'precondition-failed', current: failed.current };
        if (!head || head.deleted) return { kind: 'not-found' };
        const tombstone = appendRevision(ctx, {
          userId,
          collectionId: collection.id,
          itemId: head.itemId,
          itemName: name,
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
        });
        return { kind: 'deleted', tombstone };
      });
    },

    async getRevision(revisionId) {
      const row = userRevision(revisionId);
      return row ? toRevision(row) : null;
    },

    async readContent(revisionId): Promise<Content | null> {
      const row = userRevision(revisionId);
      if (!row || row.storage === 'none' || row.content_hash === null) return null;
      const revision = toRevision(row);
      const hash = row.content_hash;
      const inline = row.inline_content;
      const blobs = ctx.blobs;
      return {
        revision,
        size: row.size,
        async *open() {
          if (inline !== null) {
            // Verified on read too: corrupt content is an error, never a reply.
            if (sha256Hex(inline) !== hash) throw new StoredContentError(revision.id, 'inline content does not match its hash');
            yield inline;
            return;
          }
          const stream = await blobs.open(hash);
          if (!stream) throw new StoredContentError(revision.id, `blob ${hash} is missing`);
          yield* stream;
        },
      };
    },

    async history(collectionName, name) {
      const collection = liveCollection(collectionName);
      if (!collection) return null;
      const head = itemHead(collection.id, name);
      if (!head) return null;
      const rows = ctx
        .sql(`SELECT ${REVISION_COLUMNS} FROM revisions r JOIN items i ON i.id = r.item_id WHERE r.item_id = ? ORDER BY r.seq DESC`)
        .all(head.itemId) as RevisionRow[];
      return rows.map(toRevision);
    },

    restoreRevision(collectionName, name, revisionId, options) {
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.committer.run((): RestoreResult => {
        const collection = liveCollection(collectionName);
        if (!collection) return { kind: 'no-collection' };
        const head = itemHead(collection.id, name);
        const source = userRevision(revisionId);
        if (!head || !source || source.item_id !== head.itemId) return { kind: 'not-found' };
        if (source.deleted === 1) return { kind: 'is-tombstone' };
        const failed = checkPrecondition(options.precondition, head);
        if (failed) return { kind: 'precondition-failed', current: failed.current };
        return { kind: 'restored', revision: copyRevision(collection, head, source, options) };
      });
    },

    async listTrash(collectionName) {
      const rows = ctx
        .sql(
          `SELECT ${REVISION_COLUMNS} FROM items i
           JOIN revisions r ON r.id = i.head_revision_id
           JOIN collections c ON c.id = i.collection_id
           WHERE c.user_id = ? AND c.deleted_at IS NULL AND i.deleted = 1 AND (? IS NULL OR c.name = ?)
           ORDER BY r.seq DESC`,
        )
        .all(userId, collectionName ?? null, collectionName ?? null) as RevisionRow[];
      return rows.map((row) => toItem(toRevision(row)));
    },

    undelete(collectionName, name, options) {
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.committer.run((): RestoreResult => {
        const collection = liveCollection(collectionName);
        if (!collection) return { kind: 'no-collection' };
        const head = itemHead(collection.id, name);
        if (!head) return { kind: 'not-found' };
        if (!head.deleted) return { kind: 'not-deleted', current: head };
        // A tombstone's parent is the last live revision: deleting needs a live item.
        const source = head.parentId === null ? null : userRevision(head.parentId);
        if (!source) return { kind: 'not-found' };
        return { kind: 'restored', revision: copyRevision(collection, head, source, options) };
      });
    },

    async changesSince(query: ChangesQuery): Promise<Change[]> {
      return readChanges(ctx, { ...query, userId });
    },
  } satisfies UserStore;
}

function newRevisionId(clientMade: string | undefined): string {
  return clientMade ?? randomUUID();
}
