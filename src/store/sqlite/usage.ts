// What a user's live content takes, against their quota. The figure is kept in
// users.used_bytes and moved by every write in that write's own transaction: an item's head
// changing (appendRevision) and a subtree going to or coming back from the trash. So the
// quota check is one row read inside the transaction, and two writes racing for the last
// bytes are decided by the group committer's order, never both let through.
//
// Charged: the current content of live items in live collections. Not charged: history
// (older revisions) and the trash, which are the server's safety net — a user who deletes
// to make room must get the room, or nobody would ever delete to free space.
import type Database from 'better-sqlite3';
import type { OverQuota, UserUsage } from '../types.ts';
import type { SqliteContext } from './context.ts';

export function readUsage(ctx: SqliteContext, userId: number): UserUsage {
  const row = ctx.sql('SELECT used_bytes, quota_bytes FROM users WHERE id = ?').get(userId) as
    | { used_bytes: number; quota_bytes: number | null }
    | undefined;
  return { usedBytes: row?.used_bytes ?? 0, quotaBytes: row?.quota_bytes ?? ctx.defaultQuotaBytes };
}

/** Why adding `growthBytes` to the user's usage is refused, or null if it may go ahead.
 * Growth of zero or less (a write that frees space) is never refused, even over quota. */
export function refuseOverQuota(ctx: SqliteContext, userId: number, growthBytes: number): OverQuota | null {
  if (growthBytes <= 0) return null;
  const { usedBytes, quotaBytes } = readUsage(ctx, userId);
  if (quotaBytes === null || usedBytes + growthBytes <= quotaBytes) return null;
  return { kind: 'over-quota', quotaBytes, usedBytes };
}

export function charge(ctx: SqliteContext, userId: number, deltaBytes: number): void {
  if (deltaBytes === 0) return;
  ctx.sql('UPDATE users SET used_bytes = used_bytes + ? WHERE id = ?').run(deltaBytes, userId);
}

/** The bytes of the live items directly in these collections (their heads' sizes). */
export function liveBytesIn(ctx: SqliteContext, collectionIds: readonly number[]): number {
  let total = 0;
  for (const id of collectionIds) {
    total += ctx
      .sql(
        `SELECT coalesce(sum(r.size), 0) FROM items i JOIN revisions r ON r.id = i.head_revision_id
         WHERE i.collection_id = ? AND i.deleted = 0`,
      )
      .pluck()
      .get(id) as number;
  }
  return total;
}

/** What the item's current head counts for: its size if live, else nothing. */
export function chargedSizeOfItem(ctx: SqliteContext, itemId: number): number {
  const row = ctx
    .sql('SELECT r.size, i.deleted FROM items i JOIN revisions r ON r.id = i.head_revision_id WHERE i.id = ?')
    .get(itemId) as { size: number; deleted: number } | undefined;
  return row && row.deleted === 0 ? row.size : 0;
}

/** The live bytes of the user `u`, counted from scratch. */
const COUNTED_USAGE = `coalesce((
  SELECT sum(r.size) FROM collections c
  JOIN items i ON i.collection_id = c.id AND i.deleted = 0
  JOIN revisions r ON r.id = i.head_revision_id
  WHERE c.user_id = u.id AND c.deleted_at IS NULL
), 0)`;

/** Sets every user's kept figure from a recount: for rows written under the store rather
 * than through it (a restore from backup). */
export function recountUsage(db: Database.Database): void {
  db.prepare(`UPDATE users AS u SET used_bytes = ${COUNTED_USAGE}`).run();
}

/** Users whose kept figure differs from a recount (for the integrity check). */
export function usageMismatches(ctx: SqliteContext): Array<{ userId: number; kept: number; counted: number }> {
  return ctx.db
    .prepare(`SELECT u.id AS userId, u.used_bytes AS kept, ${COUNTED_USAGE} AS counted FROM users u`)
    .all()
    .filter((row) => {
      const { kept, counted } = row as { kept: number; counted: number };
      return kept !== counted;
    }) as Array<{ userId: number; kept: number; counted: number }>;
}
