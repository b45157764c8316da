// Conflict marks: which revisions lost a conflict between a device and the server. The
// revision itself stays in its item's history like any other; the mark is what lets the
// user list the losers and restore one (with the ordinary restore).
import type { ConflictMark } from '../types.ts';
import type { SqliteContext } from './context.ts';

interface ConflictRow {
  revision_id: string;
  winner_id: string;
  collection_id: number;
  item_name: string;
  at: string;
}

const DEFAULT_LIMIT = 1000;

export function markConflict(ctx: SqliteContext, userId: number, mark: ConflictMark): void {
  ctx
    .sql('INSERT OR IGNORE INTO conflicts (revision_id, user_id, winner_id, item_id, at) SELECT ?, ?, ?, item_id, ? FROM revisions WHERE id = ?')
    .run(mark.revisionId, userId, mark.winnerId, mark.at, mark.revisionId);
}

export function listConflictMarks(ctx: SqliteContext, userId: number, limit = DEFAULT_LIMIT): ConflictMark[] {
  const rows = ctx
    .sql(
      `SELECT m.revision_id, m.winner_id, i.collection_id, i.name AS item_name, m.at FROM conflicts m
       JOIN items i ON i.id = m.item_id
       JOIN collections c ON c.id = i.collection_id
       WHERE m.user_id = ? AND c.user_id = ? AND c.deleted_at IS NULL
       ORDER BY m.at DESC, m.revision_id LIMIT ?`,
    )
    .all(userId, userId, Math.max(1, Math.min(limit, 10_000))) as ConflictRow[];
  return rows.map((row) => ({
    revisionId: row.revision_id,
    winnerId: row.winner_id,
    collectionId: row.collection_id,
    itemName: row.item_name,
    at: row.at,
  }));
}
