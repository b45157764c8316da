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
  getCursor(): Promise<ReplicaCursor | undefined>;
  setCursor(cursor: ReplicaCursor | undefined): Promise<void>;
  close(): Promise<void>;
}
