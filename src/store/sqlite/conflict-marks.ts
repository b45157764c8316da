// Conflict marks: which revisions lost a conflict between a device and the server. The
// revision itself stays in its item's history like any other; the mark is what lets the
// user list the losers and restore one, or keep the winner and close the conflict.
import { createHash } from 'node:crypto';
import type { ConflictMark, ResolveConflictResult } from '../types.ts';
import type { SqliteContext } from './context.ts';
import { refuseOverQuota } from './usage.ts';
import type { UserQueries } from './user-queries.ts';
import { liveSize } from './user-queries.ts';

interface ConflictRow {
  revision_id: string;
  winner_id: string;
  collection_id: number;
  item_name: string;
  at: string;
}

const DEFAULT_LIMIT = 1000;

const OPEN_CONFLICTS = `SELECT m.revision_id, m.winner_id, i.collection_id, i.name AS item_name, m.at FROM conflicts m
  JOIN items i ON i.id = m.item_id
  JOIN collections c ON c.id = i.collection_id
  WHERE m.user_id = ? AND c.user_id = ? AND c.deleted_at IS NULL AND m.resolved_at IS NULL`;

const toMark = (row: ConflictRow): ConflictMark => ({
  revisionId: row.revision_id,
  winnerId: row.winner_id,
  collectionId: row.collection_id,
  itemName: row.item_name,
  at: row.at,
});

export function markConflict(ctx: SqliteContext, userId: number, mark: ConflictMark): void {
  ctx
    .sql('INSERT OR IGNORE INTO conflicts (revision_id, user_id, winner_id, item_id, at) SELECT ?, ?, ?, item_id, ? FROM revisions WHERE id = ?')
    .run(mark.revisionId, userId, mark.winnerId, mark.at, mark.revisionId);
}

/** Marks a device kept, put back where the server has none (docs/sync.md, "Heal"). */
export function importConflictMarks(ctx: SqliteContext, userId: number, marks: readonly { revisionId: string; winnerId: string; at: string }[]): Promise<number> {
  return ctx.committer.run((): number => {
    // Both revisions must be this user's: a mark never names another user's revision.
    const insert = ctx.sql(`INSERT OR IGNORE INTO conflicts (revision_id, user_id, winner_id, item_id, at)
      SELECT r.id, c.user_id, w.id, r.item_id, ? FROM revisions r
      JOIN items i ON i.id = r.item_id JOIN collections c ON c.id = i.collection_id
      JOIN revisions w ON w.id = ? AND w.item_id = r.item_id
      WHERE r.id = ? AND c.user_id = ?`);
    let taken = 0;
    for (const mark of marks) taken += insert.run(mark.at, mark.winnerId, mark.revisionId, userId).changes;
    return taken;
  });
}

/** The open conflicts' count, and the SHA-256 of their losing revision ids, sorted, one per line. */
export function conflictSummary(ctx: SqliteContext, userId: number): { open: number; fingerprint: string } {
  const rows = ctx.sql(`SELECT revision_id FROM (${OPEN_CONFLICTS})`).all(userId, userId) as { revision_id: string }[];
  const ids = rows.map((row) => row.revision_id).sort();
  return { open: ids.length, fingerprint: createHash('sha256').update(ids.join('\n'), 'utf8').digest('hex') };
}

export function listConflictMarks(ctx: SqliteContext, userId: number, limit = DEFAULT_LIMIT): ConflictMark[] {
  const rows = ctx
    .sql(`${OPEN_CONFLICTS} ORDER BY m.at DESC, m.revision_id LIMIT ?`)
    .all(userId, userId, Math.max(1, Math.min(limit, 10_000))) as ConflictRow[];
  return rows.map(toMark);
}

export function resolveConflictMark(
  ctx: SqliteContext,
  userId: number,
  q: UserQueries,
  revisionId: string,
  options: { restore: boolean; author: string },
): Promise<ResolveConflictResult> {
  return ctx.committer.run((): ResolveConflictResult => {
    const row = ctx.sql(`${OPEN_CONFLICTS} AND m.revision_id = ?`).get(userId, userId, revisionId) as ConflictRow | undefined;
    if (!row) return { kind: 'not-found' };
    let restored = null;
    if (options.restore) {
      const collection = q.collectionById(row.collection_id);
      const head = q.itemHead(collection.id, row.item_name);
      const loser = q.userRevision(revisionId);
      if (!head || !loser) return { kind: 'not-found' };
      if (loser.deleted === 1) {
        // The losing side was a delete: restoring it deletes the item (to the trash).
        if (!head.deleted) restored = q.tombstone(collection, head, { author: options.author });
      } else {
        const holder = q.keyHolder(collection.id, loser.unique_key, [row.item_name]);
        if (holder !== null) return { kind: 'key-conflict', existingName: holder };
        const overQuota = refuseOverQuota(ctx, userId, loser.size - liveSize(head));
        if (overQuota) return overQuota;
        restored = q.copyContent(collection, { itemId: head.itemId, name: row.item_name, parentId: head.id }, loser, { author: options.author }, loser.id);
      }
    }
    ctx.sql('UPDATE conflicts SET resolved_at = ? WHERE revision_id = ?').run(ctx.now(), revisionId);
    return { kind: 'resolved', restored };
  });
}
