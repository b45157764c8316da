// The device's collections through sync (docs/sdk.md, "Collections"): recording what the
// server says of each (its id, kind, display properties, whether it is in the trash),
// following the server's renames and moves, and pushing the device's own changes (properties,
// deletes), or, in a heal, every collection with the properties the server lacks and then the
// deletes the device knew of.
import { applyCollectionPatch, propsAsPatch, samePatch } from './collection-props.ts';
import type { ReplicaCollection, ReplicaCollectionProps, ReplicaCollectionPropsPatch, ReplicaStore } from './replica.ts';

/** A collection as the sync API shows it (docs/sync.md). */
export interface ServerCollection {
  id: number;
  path: string;
  kind: string;
  props: ReplicaCollectionProps;
  deleted: boolean;
}

export interface PushedCollection {
  path: string;
  kind: string;
  props: ReplicaCollectionPropsPatch;
  onlyMissing?: boolean;
  deleted?: boolean;
}

export type CollectionResult =
  | { path: string; result: 'applied' | 'unchanged'; collection: ServerCollection | null }
  | { path: string; result: 'refused'; reason: string; message: string };

export interface CollectionRefusal {
  path: string;
  reason: string;
  message: string;
}

/** The device's record of a collection as the server has it, with what the device has not sent yet on top. */
function serverState(path: string, server: ServerCollection, pending: { props: ReplicaCollectionPropsPatch | null; delete: boolean }): ReplicaCollection {
  return {
    path,
    kind: server.kind,
    serverId: server.id,
    props: pending.props ? applyCollectionPatch(server.props, pending.props) : server.props,
    pendingProps: pending.props,
    // A delete not yet sent stands until the server has it.
    deleted: pending.delete || server.deleted,
    pendingDelete: pending.delete,
  };
}

/** What the server says of a collection, with the device's unsent changes kept on top. */
export async function recordServerCollection(replica: ReplicaStore, collection: ServerCollection): Promise<void> {
  await replica.updateCollection(collection.path, (current) => {
    // A trashed collection whose path a newer one has taken does not speak for that path.
    if (collection.deleted && current && current.serverId !== null && current.serverId !== collection.id) return undefined;
    return serverState(collection.path, collection, { props: current?.pendingProps ?? null, delete: current?.pendingDelete ?? false });
  });
}

/**
 * The server renamed or moved collections the device holds (it knows them by id): the device
 * moves them, shallowest first so a moved parent takes its children along, before it plans a
 * pull (whose revisions name the collections' current paths) or pushes its outbox.
 */
export async function followServerPaths(replica: ReplicaStore, server: readonly ServerCollection[]): Promise<number> {
  const pathOf = new Map(server.filter((c) => !c.deleted).map((c) => [c.id, c.path]));
  let moves = 0;
  // Each move can change other records' paths: look again after each, at most once per collection.
  for (let round = 0; round <= pathOf.size; round += 1) {
    const stale = (await replica.listCollections())
      .filter((c) => c.serverId !== null && pathOf.has(c.serverId) && pathOf.get(c.serverId) !== c.path)
      .sort((a, b) => a.path.length - b.path.length)[0];
    if (!stale || stale.serverId === null) return moves;
    const to = pathOf.get(stale.serverId);
    if (to === undefined || to.startsWith(`${stale.path}/`)) return moves;
    await replica.moveCollection(stale.path, to);
    moves += 1;
  }
  return moves;
}

/** After a heal the ids are the old server's: forget them until the healed server names each one. */
export async function forgetServerIds(replica: ReplicaStore): Promise<void> {
  for (const collection of await replica.listCollections()) {
    if (collection.serverId !== null) await replica.updateCollection(collection.path, (current) => (current ? { ...current, serverId: null } : undefined));
  }
}

/** The device's unsent changes: a delete (which makes its unsent properties moot), or properties. */
export function pendingCollections(collections: readonly ReplicaCollection[]): PushedCollection[] {
  const pushed: PushedCollection[] = [];
  for (const c of collections) {
    if (c.pendingDelete) pushed.push({ path: c.path, kind: c.kind, props: {}, deleted: true });
    else if (c.pendingProps !== null) pushed.push({ path: c.path, kind: c.kind, props: c.pendingProps });
  }
  return pushed;
}

/**
 * What a heal sends: every live collection the device knows, so an empty server gets back
 * even a calendar with no events, with its properties as fill-ins (the server keeps any it
 * has), and the device's unsent changes as changes.
 */
export function healCollections(collections: readonly ReplicaCollection[]): PushedCollection[] {
  const pushed: PushedCollection[] = [];
  for (const collection of collections) {
    if (collection.deleted) continue;
    if (collection.pendingProps) pushed.push({ path: collection.path, kind: collection.kind, props: collection.pendingProps });
    pushed.push({ path: collection.path, kind: collection.kind, props: propsAsPatch(collection.props), onlyMissing: true });
  }
  return pushed;
}

/**
 * What a heal sends after the revisions: the collections the device knows as deleted. Their
 * revisions went back with the rest (so nothing in them is lost), which made them again on a
 * server that had forgotten them; they go back to the trash, where they were.
 */
export function healDeletes(collections: readonly ReplicaCollection[]): PushedCollection[] {
  return collections.filter((c) => c.deleted).map((c) => ({ path: c.path, kind: c.kind, props: {}, deleted: true }));
}

/**
 * Records the server's answer to pushed collections: an unsent change the server took is
 * sent (unless the device changed the collection again meanwhile), and the device takes the
 * server's properties with what is still unsent on top. A refused change is dropped and
 * reported: sending it again would be refused again.
 */
export async function recordCollectionResults(
  replica: ReplicaStore,
  pushed: readonly PushedCollection[],
  results: readonly CollectionResult[],
): Promise<{ pushed: number; refused: CollectionRefusal[] }> {
  let count = 0;
  const refused: CollectionRefusal[] = [];
  for (const [index, result] of results.entries()) {
    const sent = pushed[index];
    if (!sent) continue;
    if (result.result === 'refused') {
      refused.push({ path: result.path, reason: result.reason, message: result.message });
      if (sent.deleted) await replica.updateCollection(sent.path, (current) => (current?.pendingDelete ? { ...current, pendingDelete: false, deleted: false } : undefined));
      else if (!sent.onlyMissing) {
        await replica.updateCollection(sent.path, (current) => (current && samePatch(current.pendingProps, sent.props) ? { ...current, pendingProps: null } : undefined));
      }
      continue;
    }
    if (!sent.onlyMissing) count += 1;
    const server = result.collection;
    if (sent.deleted) {
      // In the trash now (or it was not there to delete); unless the device made it again meanwhile.
      await replica.updateCollection(sent.path, (current) =>
        current?.pendingDelete ? { ...current, pendingDelete: false, pendingProps: null, deleted: true, serverId: server?.id ?? current.serverId } : undefined,
      );
      continue;
    }
    if (!server) continue;
    await replica.updateCollection(sent.path, (current) => {
      // Deleted on the device while this was on its way: the delete goes next.
      if (current?.pendingDelete) return undefined;
      const pending = current?.pendingProps ?? null;
      return serverState(sent.path, server, { props: !sent.onlyMissing && samePatch(pending, sent.props) ? null : pending, delete: false });
    });
  }
  return { pushed: count, refused };
}
