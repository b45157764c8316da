// What the device can show of an item's past from its own replica, offline: the revisions it
// holds for an item, and the trash (items whose head is a tombstone, with the content they
// had before the delete). Nothing here writes; restoring is a new revision made by the client.
import type { ReplicaItem, ReplicaRevision, ReplicaStore } from './replica.ts';

export interface TrashedItem {
  collectionPath: string;
  kind: string;
  name: string;
  /** The tombstone that deleted it. */
  deletedBy: ReplicaRevision;
  /** The last live revision the device holds before the delete; null if it never held one. */
  lastLive: ReplicaRevision | null;
}

/** The revisions the device holds for one item, oldest first (the order it got them). */
export async function itemRevisions(replica: ReplicaStore, collectionPath: string, name: string): Promise<ReplicaRevision[]> {
  return (await replica.log()).filter((r) => r.collectionPath === collectionPath && r.item === name);
}

/** Walks from a revision towards the root and returns the first live one the device holds. */
function lastLiveBefore(tombstone: ReplicaRevision, byId: ReadonlyMap<string, ReplicaRevision>, history: readonly ReplicaRevision[]): ReplicaRevision | null {
  const seen = new Set<string>();
  let parentId = tombstone.parentId;
  while (parentId && !seen.has(parentId)) {
    seen.add(parentId);
    const parent = byId.get(parentId);
    if (!parent) break;
    if (!parent.deleted) return parent;
    parentId = parent.parentId;
  }
  // A parent the device never held (it joined after the item was written): the newest live
  // revision it does hold is the best it can offer.
  return [...history].reverse().find((r) => !r.deleted) ?? null;
}

/** Deleted items, newest delete first, of one collection or all. */
export async function trashedItems(replica: ReplicaStore, collectionPath?: string): Promise<TrashedItem[]> {
  const items: ReplicaItem[] = (await replica.listItems(collectionPath)).filter((item) => item.deleted);
  if (items.length === 0) return [];
  const log = await replica.log();
  const byId = new Map(log.map((r) => [r.id, r]));
  // One pass over the log, not one per deleted item.
  const historyOf = new Map<string, ReplicaRevision[]>();
  for (const revision of log) {
    const key = `${revision.collectionPath}\u0000${revision.item}`;
    const history = historyOf.get(key);
    if (history) history.push(revision);
    else historyOf.set(key, [revision]);
  }
  const trashed: TrashedItem[] = [];
  for (const item of items) {
    const tombstone = byId.get(item.headId);
    if (!tombstone) continue;
    const history = historyOf.get(`${item.collectionPath}\u0000${item.name}`) ?? [];
    trashed.push({ collectionPath: item.collectionPath, kind: item.kind, name: item.name, deletedBy: tombstone, lastLive: lastLiveBefore(tombstone, byId, history) });
  }
  return trashed.sort((a, b) => b.deletedBy.createdAt.localeCompare(a.deletedBy.createdAt));
}
