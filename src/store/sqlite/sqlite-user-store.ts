// One user's view of the SQLite store. Every query is bound to `userId` through the
// collections table, so nothing reached from here can belong to another user.
import { ingestContent, sha256Hex } from '../content.ts';
import { assertValidName, assertValidRevisionId } from '../names.ts';
import type { UserStore } from '../store.ts';
import type {
  Change,
  ChangesQuery,
  Content,
  ContentSource,
  DeleteResult,
  ItemPropsResult,
  RestoreResult,
  WriteOptions,
  WriteResult,
} from '../types.ts';
import { appendRevision } from './append-revision.ts';
import { readChanges } from './changes.ts';
import { conflictSummary, importConflictMarks, listConflictMarks, resolveConflictMark } from './conflict-marks.ts';
import { importRevision } from './sqlite-import.ts';
import type { SqliteContext } from './context.ts';
import { ITEM_COLUMNS, REVISION_COLUMNS, toItem, toRevision } from './rows.ts';
import type { ItemRow, RevisionRow } from './rows.ts';
import { collectionMethods } from './sqlite-collections.ts';
import { heldContent } from './sqlite-content-lookup.ts';
import { transferItem } from './sqlite-item-transfer.ts';
import { StoredContentError } from './stored-content-error.ts';
import { assertValidPath, checkHeadPrecondition, checkPrecondition, liveSize, newRevisionId, userQueries } from './user-queries.ts';
import { readUsage, refuseOverQuota } from './usage.ts';

const ITEM = `SELECT ${ITEM_COLUMNS} FROM items i JOIN revisions r ON r.id = i.head_revision_id WHERE i.collection_id = ? AND i.name = ?`;

export function createSqliteUserStore(ctx: SqliteContext, userId: number): UserStore {
  const q = userQueries(ctx, userId);

  const readItem = (collectionId: number, name: string) => {
    const row = ctx.sql(ITEM).get(collectionId, name) as ItemRow | undefined;
    return row ? toItem(row) : null;
  };

  const writeItem = async (collectionPath: string, name: string, content: ContentSource, options: WriteOptions): Promise<WriteResult> => {
    // Checked again inside the transaction; this early look avoids storing a blob for a
    // write that cannot succeed.
    const early = q.liveCollection(collectionPath);
    if (!early) return { kind: 'no-collection' };
    // Reading stops once the content is past the room left (the content it replaces counts
    // as room), so an upload far over quota does not fill the disk first.
    const usage = readUsage(ctx, userId);
    const quotaLimit =
      usage.quotaBytes === null ? undefined : Math.max(0, usage.quotaBytes - usage.usedBytes) + liveSize(q.itemHead(early.id, name));
    const maxBytes = tighter(options.maxBytes, quotaLimit);
    const ingested = await ingestContent(content, ctx.blobs, {
      inlineLimitBytes: ctx.inlineLimitBytes,
      ...(maxBytes !== undefined ? { maxBytes } : {}),
    });
    if (ingested.kind === 'too-large') {
      const { quotaBytes, usedBytes } = usage;
      const stoppedByQuota = quotaLimit !== undefined && (options.maxBytes === undefined || quotaLimit < options.maxBytes);
      return quotaBytes !== null && stoppedByQuota ? { kind: 'over-quota', quotaBytes, usedBytes } : ingested;
    }

    return ctx.committer.run((): WriteResult => {
      const collection = q.liveCollection(collectionPath);
      if (!collection) return { kind: 'no-collection' };
      const head = q.itemHead(collection.id, name);
      if (options.revisionId !== undefined) {
        const existing = q.userRevision(options.revisionId);
        if (existing) {
          const same = existing.item_id === head?.itemId && existing.content_hash === ingested.hash && existing.deleted === 0;
          return same ? { kind: 'unchanged', revision: toRevision(existing) } : { kind: 'revision-id-taken' };
        }
        if (ctx.sql('SELECT 1 FROM revisions WHERE id = ?').get(options.revisionId)) return { kind: 'revision-id-taken' };
      }
      const failed = checkPrecondition(options.precondition, head);
      if (failed) return { kind: 'precondition-failed', current: failed.current };
      const holder = q.keyHolder(collection.id, options.uniqueKey ?? null, [name]);
      if (holder !== null) return { kind: 'key-conflict', existingName: holder };
      const overQuota = refuseOverQuota(ctx, userId, ingested.size - liveSize(head));
      if (overQuota) return overQuota;
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
        uniqueKey: options.uniqueKey ?? null,
      });
      return { kind: 'written', revision, created: head === null || head.deleted };
    });
  };

  return {
    userId,
    ...collectionMethods(ctx, userId, q),

    async listItems(collectionPath, options) {
      const collection = q.liveCollection(collectionPath);
      if (!collection) return null;
      const rows = ctx
        .sql(
          `SELECT ${ITEM_COLUMNS} FROM items i JOIN revisions r ON r.id = i.head_revision_id
           WHERE i.collection_id = ? ${options?.includeDeleted ? '' : 'AND i.deleted = 0'} ORDER BY i.name`,
        )
        .all(collection.id) as ItemRow[];
      return rows.map(toItem);
    },

    async getItem(collectionPath, name) {
      const collection = q.liveCollection(collectionPath);
      return collection ? readItem(collection.id, name) : null;
    },

    putItem(collectionPath, name, content, options) {
      assertValidPath(collectionPath);
      assertValidName('item', name);
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.inFlight.run(() => writeItem(collectionPath, name, content, options));
    },

    deleteItem(collectionPath, name, options) {
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.committer.run((): DeleteResult => {
        const collection = q.liveCollection(collectionPath);
        if (!collection) return { kind: 'no-collection' };
        const head = q.itemHead(collection.id, name);
        const failed = checkPrecondition(options.precondition, head);
        if (failed) return { kind: 'precondition-failed', current: failed.current };
        if (!head || head.deleted) return { kind: 'not-found' };
        return { kind: 'deleted', tombstone: q.tombstone(collection, head, options) };
      });
    },

    moveItem: (from, to, options) => transferItem(ctx, q, 'move', from, to, options),
    copyItem: (from, to, options) => transferItem(ctx, q, 'copy', from, to, options),

    setItemProps(collectionPath, name, props) {
      return ctx.committer.run((): ItemPropsResult => {
        const collection = q.liveCollection(collectionPath);
        const item = collection ? readItem(collection.id, name) : null;
        if (!collection || !item || item.deleted) return { kind: 'not-found' };
        const merged = { ...item.props };
        for (const [key, value] of Object.entries(props)) {
          if (value === null) delete merged[key];
          else merged[key] = value;
        }
        const json = Object.keys(merged).length === 0 ? null : JSON.stringify(merged);
        ctx.sql('UPDATE items SET props = ? WHERE id = ?').run(json, item.id);
        return { kind: 'changed', item: { ...item, props: merged } };
      });
    },

    async getRevision(revisionId) {
      const row = q.userRevision(revisionId);
      return row ? toRevision(row) : null;
    },

    async readContent(revisionId): Promise<Content | null> {
      const row = q.userRevision(revisionId);
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

    async history(collectionPath, name) {
      const collection = q.liveCollection(collectionPath);
      if (!collection) return null;
      const head = q.itemHead(collection.id, name);
      if (!head) return null;
      const rows = ctx
        .sql(`SELECT ${REVISION_COLUMNS} FROM revisions r JOIN items i ON i.id = r.item_id WHERE r.item_id = ? ORDER BY r.seq DESC`)
        .all(head.itemId) as RevisionRow[];
      return rows.map(toRevision);
    },

    restoreRevision(collectionPath, name, revisionId, options) {
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.committer.run((): RestoreResult => {
        const collection = q.liveCollection(collectionPath);
        if (!collection) return { kind: 'no-collection' };
        const head = q.itemHead(collection.id, name);
        const source = q.userRevision(revisionId);
        if (!head || !source || source.item_id !== head.itemId) return { kind: 'not-found' };
        if (source.deleted === 1) return { kind: 'is-tombstone' };
        const failed = checkHeadPrecondition(options.precondition, head);
        if (failed) return { kind: 'precondition-failed', current: failed.current };
        const holder = q.keyHolder(collection.id, source.unique_key, [name]);
        if (holder !== null) return { kind: 'key-conflict', existingName: holder };
        const overQuota = refuseOverQuota(ctx, userId, source.size - liveSize(head));
        if (overQuota) return overQuota;
        const target = { itemId: head.itemId, name, parentId: head.id };
        return { kind: 'restored', revision: q.copyContent(collection, target, source, options, source.id) };
      });
    },

    async listTrash(collectionPath) {
      const rows = ctx
        .sql(
          `SELECT ${ITEM_COLUMNS} FROM items i
           JOIN revisions r ON r.id = i.head_revision_id
           JOIN collections c ON c.id = i.collection_id
           WHERE c.user_id = ? AND c.deleted_at IS NULL AND i.deleted = 1 AND (? IS NULL OR c.path = ?)
           ORDER BY r.seq DESC`,
        )
        .all(userId, collectionPath ?? null, collectionPath ?? null) as ItemRow[];
      return rows.map(toItem);
    },

    undelete(collectionPath, name, options) {
      if (options.revisionId !== undefined) assertValidRevisionId(options.revisionId);
      return ctx.committer.run((): RestoreResult => {
        const collection = q.liveCollection(collectionPath);
        if (!collection) return { kind: 'no-collection' };
        const head = q.itemHead(collection.id, name);
        if (!head) return { kind: 'not-found' };
        if (!head.deleted) return { kind: 'not-deleted', current: head };
        const failed = checkHeadPrecondition(options.precondition, head);
        if (failed) return { kind: 'precondition-failed', current: failed.current };
        // A tombstone's parent is the last live revision: deleting needs a live item.
        const source = head.parentId === null ? null : q.userRevision(head.parentId);
        if (!source) return { kind: 'not-found' };
        const holder = q.keyHolder(collection.id, source.unique_key, [name]);
        if (holder !== null) return { kind: 'key-conflict', existingName: holder };
        const overQuota = refuseOverQuota(ctx, userId, source.size);
        if (overQuota) return overQuota;
        const target = { itemId: head.itemId, name, parentId: head.id };
        return { kind: 'restored', revision: q.copyContent(collection, target, source, options, source.id) };
      });
    },

    async hasContent(hashes) {
      return heldContent(ctx, userId, hashes);
    },

    async changesSince(query: ChangesQuery): Promise<Change[]> {
      return readChanges(ctx, { ...query, userId });
    },

    async usage() {
      return readUsage(ctx, userId);
    },

    importRevision(input) {
      return ctx.inFlight.run(() => importRevision(ctx, userId, q, input));
    },

    async listConflicts(options) {
      return listConflictMarks(ctx, userId, options?.limit);
    },

    resolveConflict(revisionId, options) {
      return resolveConflictMark(ctx, userId, q, revisionId, options);
    },

    async conflictSummary() {
      return conflictSummary(ctx, userId);
    },

    importConflicts(marks) {
      return importConflictMarks(ctx, userId, marks);
    },

    async latestSequence() {
      return (ctx.sql('SELECT max(seq) FROM changes WHERE user_id = ?').pluck().get(userId) as number | null) ?? 0;
    },
  } satisfies UserStore;
}

/** The smaller of two optional limits. */
function tighter(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
