// Writes a revision a device made (the sync API's push, docs/sync.md): with the device's
// own id, parent and creation time, creating the collection if the server lost it, and —
// in the same transaction — the merged revision or the conflict mark that goes with it.
import { randomUUID } from 'node:crypto';
import { ingestContent, type IngestResult } from '../content.ts';
import { assertValidName, assertValidRevisionId } from '../names.ts';
import type { Collection, ConflictMark, ImportResult, ImportRevision, Revision } from '../types.ts';
import { appendRevision } from './append-revision.ts';
import { markConflict } from './conflict-marks.ts';
import type { SqliteContext } from './context.ts';
import { toRevision } from './rows.ts';
import { refuseOverQuota } from './usage.ts';
import type { UserQueries } from './user-queries.ts';
import { assertValidPath, createCollectionPath, liveSize } from './user-queries.ts';

interface HeldRow {
  content_hash: string;
  size: number;
  storage: 'inline' | 'blob';
  inline_content: Buffer | null;
}

const HELD_CONTENT = `SELECT r.content_hash, r.size, r.storage, r.inline_content FROM collections c
  CROSS JOIN items i ON i.collection_id = c.id
  CROSS JOIN revisions r ON r.item_id = i.id
  WHERE c.user_id = ? AND r.content_hash = ? AND r.storage <> 'none' LIMIT 1`;

type Stored = { hash: string | null; size: number; storage: 'inline' | 'blob' | 'none'; inline: Buffer | null };

function fromIngest(ingested: Exclude<IngestResult, { kind: 'too-large' }>): Stored {
  return { hash: ingested.hash, size: ingested.size, storage: ingested.kind, inline: ingested.kind === 'inline' ? ingested.bytes : null };
}

export async function importRevision(ctx: SqliteContext, userId: number, q: UserQueries, input: ImportRevision): Promise<ImportResult> {
  assertValidPath(input.collection);
  assertValidName('item', input.name);
  assertValidRevisionId(input.revisionId);
  if (input.parentId !== null) assertValidRevisionId(input.parentId);

  let pushed: Stored | null = null;
  if (input.content.kind === 'bytes') {
    const ingested = await ingestContent(input.content.source, ctx.blobs, {
      inlineLimitBytes: ctx.inlineLimitBytes,
      ...(input.maxBytes !== undefined ? { maxBytes: input.maxBytes } : {}),
    });
    if (ingested.kind === 'too-large') return ingested;
    // A blob already written is harmless: unreferenced content, as after a failed write.
    const expected = input.content.expectedHash;
    if (expected !== undefined && ingested.hash !== expected) return { kind: 'content-hash-mismatch', actual: ingested.hash };
    pushed = fromIngest(ingested);
  } else if (input.content.kind === 'none') {
    pushed = { hash: null, size: 0, storage: 'none', inline: null };
  }
  const then = input.then;
  let merged: Stored | null = null;
  if (then?.kind === 'merged') {
    const ingested = await ingestContent(then.content, ctx.blobs, { inlineLimitBytes: ctx.inlineLimitBytes });
    if (ingested.kind === 'too-large') return ingested;
    merged = fromIngest(ingested);
  }

  return ctx.committer.run((): ImportResult => {
    const existing = q.userRevision(input.revisionId);
    let collection = q.liveCollection(input.collection);
    if (existing) {
      const sameItem = collection !== null && existing.collection_id === collection.id && existing.item_name === input.name;
      const sameContent = existing.deleted === (input.deleted ? 1 : 0);
      return sameItem && sameContent ? { kind: 'unchanged', revision: toRevision(existing) } : { kind: 'revision-id-taken' };
    }
    // Another user's revision: refused without saying whose or what it is.
    if (ctx.sql('SELECT 1 FROM revisions WHERE id = ?').get(input.revisionId)) return { kind: 'revision-id-taken' };
    if (collection && collection.kind !== input.collectionKind) return { kind: 'collection-kind-mismatch', collection };

    const head = collection ? q.itemHead(collection.id, input.name) : null;
    if ((head?.id ?? null) !== input.expectedHeadId) return { kind: 'head-moved', current: head };
    if (pushed === null) {
      const hash = input.content.kind === 'held' ? input.content.hash : '';
      const row = ctx.sql(HELD_CONTENT).get(userId, hash) as HeldRow | undefined;
      if (!row) return { kind: 'content-not-held' };
      pushed = { hash: row.content_hash, size: row.size, storage: row.storage, inline: row.inline_content };
    }
    if (collection) {
      const holder = q.keyHolder(collection.id, input.deleted ? null : (input.uniqueKey ?? null), [input.name]);
      if (holder !== null) return { kind: 'key-conflict', existingName: holder };
    }
    // What the item's head will take once the follow-up is written, against what it takes now.
    const finalSize = then?.kind === 'conflict-head-wins' ? liveSize(head) : then?.kind === 'merged' && merged ? merged.size : input.deleted ? 0 : pushed.size;
    const overQuota = refuseOverQuota(ctx, userId, finalSize - liveSize(head));
    if (overQuota) return overQuota;
    collection ??= createCollectionPath(q, input.collection, input.collectionKind);

    const revision = appendRevision(ctx, {
      userId,
      collectionId: collection.id,
      itemId: head?.itemId ?? null,
      itemName: input.name,
      revisionId: input.revisionId,
      // On top of the head it was decided against, so replaying the log elsewhere (a heal)
      // applies every revision on its own parent again; the device's base only when this
      // server has no such item.
      parentId: head ? head.id : input.parentId,
      deleted: input.deleted,
      contentHash: pushed.hash,
      size: pushed.size,
      contentType: input.deleted ? null : input.contentType,
      storage: pushed.storage,
      inlineContent: pushed.inline,
      author: input.author,
      restoredFrom: null,
      uniqueKey: input.deleted ? null : (input.uniqueKey ?? null),
      createdAt: input.createdAt,
    });
    return followUp(ctx, userId, q, collection, revision, head, then, merged);
  });
}

function followUp(
  ctx: SqliteContext,
  userId: number,
  q: UserQueries,
  collection: Collection,
  revision: Revision,
  head: Revision | null,
  then: ImportRevision['then'],
  merged: Stored | null,
): ImportResult {
  const mark = (loser: string, winner: string): ConflictMark => {
    const conflict = { revisionId: loser, winnerId: winner, collectionId: collection.id, itemName: revision.itemName, at: ctx.now() };
    markConflict(ctx, userId, conflict);
    return conflict;
  };
  if (then === undefined) return { kind: 'written', revision, followUp: null, conflict: null };
  if (then.kind === 'merged' && merged) {
    const holder = q.keyHolder(collection.id, then.uniqueKey ?? null, [revision.itemName]);
    // The merge kept both sides' UID lines; a clash means another item took it meanwhile.
    if (holder !== null) throw new Error(`the merged content's UID is held by "${holder}"`);
    const result = appendRevision(ctx, {
      userId,
      collectionId: collection.id,
      itemId: revision.itemId,
      itemName: revision.itemName,
      revisionId: randomUUID(),
      parentId: revision.id,
      deleted: false,
      contentHash: merged.hash,
      size: merged.size,
      contentType: then.contentType,
      storage: merged.storage,
      inlineContent: merged.inline,
      author: then.author,
      restoredFrom: null,
      uniqueKey: then.uniqueKey ?? null,
    });
    return { kind: 'written', revision, followUp: result, conflict: null };
  }
  if (then.kind === 'conflict-imported-wins') {
    return { kind: 'written', revision, followUp: null, conflict: head ? mark(head.id, revision.id) : null };
  }
  if (then.kind === 'conflict-head-wins' && head) {
    const conflict = mark(revision.id, head.id);
    const source = q.userRevision(head.id);
    const target = { itemId: revision.itemId, name: revision.itemName, parentId: revision.id };
    const again =
      source && source.deleted === 0
        ? q.copyContent(collection, target, source, { author: then.author }, head.id)
        : q.tombstone(collection, revision, { author: then.author });
    return { kind: 'written', revision, followUp: again, conflict };
  }
  return { kind: 'written', revision, followUp: null, conflict: null };
}
