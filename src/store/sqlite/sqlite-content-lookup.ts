// Which content a user already holds, by SHA-256: what lets a reinstalled phone skip
// re-uploading photos the server has. Bound to one user: answering for the whole store
// would tell one user whether another holds a given file.
import type { SqliteContext } from './context.ts';

// Blob content (anything over the inline limit, so every photo) has a partial index on
// its hash: one indexed lookup per hash.
const BLOB_HELD = `SELECT 1 FROM revisions r
  JOIN items i ON i.id = r.item_id
  JOIN collections c ON c.id = i.collection_id
  WHERE r.content_hash = ? AND r.storage = 'blob' AND c.user_id = ? LIMIT 1`;

// Inline content has no index on its hash (schema v2), so the hashes still missing are
// matched in one pass over this user's inline revisions rather than one pass per hash.
// CROSS JOIN fixes the join order (SQLite's documented way): from the user's collections
// down, so the pass is over this user's revisions and never over the whole store's.
// An index on revisions(content_hash) would make this one lookup per hash too.
const INLINE_HELD = `SELECT DISTINCT r.content_hash AS hash FROM collections c
  CROSS JOIN items i ON i.collection_id = c.id
  CROSS JOIN revisions r ON r.item_id = i.id
  WHERE c.user_id = ? AND r.storage = 'inline' AND r.content_hash IN (SELECT value FROM json_each(?))`;

/** The subset of `hashes` that the content of one of the user's revisions has: a live
 * item, an older revision in its history, or an item in the trash. */
export function heldContent(ctx: SqliteContext, userId: number, hashes: readonly string[]): Set<string> {
  const held = new Set<string>();
  const unique = [...new Set(hashes)];
  const blobHeld = ctx.sql(BLOB_HELD);
  for (const hash of unique) {
    if (blobHeld.get(hash, userId) !== undefined) held.add(hash);
  }
  const remaining = unique.filter((hash) => !held.has(hash));
  if (remaining.length > 0) {
    const rows = ctx.sql(INLINE_HELD).all(userId, JSON.stringify(remaining)) as Array<{ hash: string }>;
    for (const row of rows) held.add(row.hash);
  }
  return held;
}
