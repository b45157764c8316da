// The device's local replica: items at their head revision, the log of every revision the
// device holds (its own and pulled ones, in the order it got them: heal replays it), the
// outbox (its own revisions the server has not acknowledged) and the sync cursor.
// The interface is async so an IndexedDB engine fits behind it as well as SQLite; every
// engine commits a write before its promise resolves. This file imports nothing, so a
// browser bundle can take it.
export interface ReplicaRevision {
  id: string;
  collectionPath: string;
  kind: string;
  item: string;
  parentId: string | null;
  deleted: boolean;
  content: Uint8Array | null;
  contentHash: string | null;
  contentType: string | null;
  author: string;
  createdAt: string;
  /** Made on this device (true) or pulled from the server. */
  local: boolean;
  /** 'pending' until the server acknowledges a local revision; 'refused' when it will not store it. */
  state: 'pending' | 'acked' | 'refused';
  refusal: string | null;
}

export interface ReplicaItem {
  collectionPath: string;
  kind: string;
  name: string;
  headId: string;
  deleted: boolean;
  content: Uint8Array | null;
  contentType: string | null;
}

/** A collection's display properties, as the server keeps them (docs/sync.md). */
export interface ReplicaCollectionProps {
  displayName?: string;
  description?: string;
  color?: string;
  order?: number;
  /** Properties other protocols keep verbatim (CalDAV's and CardDAV's own), by namespaced name. */
  extra?: Record<string, string>;
}

/** A change of display properties: a value sets, null removes, an absent key leaves it. */
export type ReplicaCollectionPropsPatch = { [K in Exclude<keyof ReplicaCollectionProps, 'extra'>]?: ReplicaCollectionProps[K] | null } & {
  extra?: Record<string, string | null>;
};

/** A collection as the device knows it: what the server last said, with the device's own
 * unsent property changes applied on top. */
export interface ReplicaCollection {
  path: string;
  kind: string;
  /** The server's id for it (stable across renames) once a sync named it; null until then,
   * and after a heal until the healed server names it again. */
  serverId: number | null;
  props: ReplicaCollectionProps;
  /** Property changes made on this device that the server has not acknowledged; null when none. */
  pendingProps: ReplicaCollectionPropsPatch | null;
  /** Deleted (in the server's trash, or deleted on this device). Its items stay on the device. */
  deleted: boolean;
  /** Deleted on this device and not yet acknowledged by the server. */
  pendingDelete: boolean;
}

/** A conflict the server last listed as open (docs/sync.md, "Conflicts"), kept so the device
 * can show it offline and put the mark back on a server that forgot it. */
export interface ReplicaConflict {
  /** The revision that lost; it is in the item's history. */
  revisionId: string;
  winnerRevisionId: string;
  collectionPath: string | null;
  itemName: string;
  at: string;
}

export interface ReplicaCursor {
  cursor: string | null;
  storeId: string;
  generation: number;
  /** A sequence the server had reached when this cursor was made (a lower bound of the cursor's). */
  sequence: number;
}

export interface ReplicaStore {
  getItem(collectionPath: string, name: string): Promise<ReplicaItem | undefined>;
  listItems(collectionPath?: string): Promise<ReplicaItem[]>;
  getRevision(id: string): Promise<ReplicaRevision | undefined>;
  /** Whether the device holds a revision, and its state, without reading its content. */
  revisionState(id: string): Promise<ReplicaRevision['state'] | undefined>;
  /** Records a revision in the log; when makeHead, it becomes its item's head in the same transaction. */
  addRevision(revision: ReplicaRevision, makeHead: boolean): Promise<void>;
  /** Local revisions still waiting for the server, oldest first. */
  outbox(): Promise<ReplicaRevision[]>;
  /**
   * Every revision the device holds, in the order it got them. With `{ content: false }` each
   * revision's content is null (its contentHash still names it; getRevision gives it), so a
   * device holding a photo library can walk its log without loading every photo.
   */
  log(options?: { content?: boolean }): Promise<ReplicaRevision[]>;
  /** How many items are live (not deleted), without loading their content. */
  countLiveItems(): Promise<number>;
  /** Applies a pull in one transaction: its revisions (each made head or only logged) and the cursor after it. */
  applyPull(steps: { revision: ReplicaRevision; makeHead: boolean }[], cursor: ReplicaCursor): Promise<void>;
  setState(id: string, state: ReplicaRevision['state'], refusal?: string): Promise<void>;
  listCollections(): Promise<ReplicaCollection[]>;
  getCollection(path: string): Promise<ReplicaCollection | undefined>;
  /**
   * Reads a collection and stores what `change` makes of it, in one transaction, so a local
   * change and a sync's cannot overwrite each other. `change` returns undefined to leave it.
   */
  updateCollection(path: string, change: (current: ReplicaCollection | undefined) => ReplicaCollection | undefined): Promise<void>;
  /**
   * The server moved or renamed a collection: in one transaction, the collection, the ones
   * nested in it, their items and the log's revisions take the new path, so later revisions
   * land on the items the device holds and its outbox pushes to where the collection now is.
   * A collection already at the new path (one the device made there) keeps its record.
   */
  moveCollection(from: string, to: string): Promise<void>;
  /** The conflicts kept, newest first. */
  listConflicts(): Promise<ReplicaConflict[]>;
  /** Keeps exactly these conflicts, in one transaction (the server's open list, when it answers). */
  setConflicts(conflicts: readonly ReplicaConflict[]): Promise<void>;
  getCursor(): Promise<ReplicaCursor | undefined>;
  setCursor(cursor: ReplicaCursor | undefined): Promise<void>;
  close(): Promise<void>;
}
