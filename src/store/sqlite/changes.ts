// Reads the change log: revisions and collection changes in sequence order.
import type { Change, ChangesQuery, Collection } from '../types.ts';
import type { SqliteContext } from './context.ts';
import { REVISION_COLUMNS, toRevision } from './rows.ts';
import type { RevisionRow } from './rows.ts';

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 10_000;

type ChangeRow = Partial<RevisionRow> & {
  change_seq: number;
  change_user_id: number;
  change_collection_id: number;
  change_revision_id: string | null;
  collection_state: string | null;
};

export function readChanges(ctx: SqliteContext, query: ChangesQuery & { userId?: number }): Change[] {
  const limit = Math.min(Math.max(1, query.limit ?? DEFAULT_LIMIT), MAX_LIMIT);
  const conditions = ['ch.seq > ?'];
  const params: Array<number | null> = [query.after];
  if (query.userId !== undefined) {
    conditions.push('ch.user_id = ?');
    params.push(query.userId);
  }
  if (query.collectionIds !== undefined) {
    if (query.collectionIds.length === 0) return [];
    conditions.push(`ch.collection_id IN (${query.collectionIds.map(() => '?').join(', ')})`);
    params.push(...query.collectionIds);
  }
  params.push(limit);
  // Built from fixed fragments only; every value is a bound parameter.
  const rows = ctx.db
    .prepare(
      `SELECT ${REVISION_COLUMNS}, ch.seq AS change_seq, ch.user_id AS change_user_id,
         ch.collection_id AS change_collection_id, ch.revision_id AS change_revision_id, ch.collection_state
       FROM changes ch
       LEFT JOIN revisions r ON r.id = ch.revision_id
       LEFT JOIN items i ON i.id = r.item_id
       WHERE ${conditions.join(' AND ')}
       ORDER BY ch.seq LIMIT ?`,
    )
    .all(...params) as ChangeRow[];
  return rows.map((row): Change => {
    if (row.change_revision_id !== null) {
      return {
        seq: row.change_seq,
        kind: 'revision',
        userId: row.change_user_id,
        collectionId: row.change_collection_id,
        revision: toRevision(row as RevisionRow),
      };
    }
    return {
      seq: row.change_seq,
      kind: 'collection',
      userId: row.change_user_id,
      collectionId: row.change_collection_id,
      collection: JSON.parse(row.collection_state ?? 'null') as Collection,
    };
  });
}
