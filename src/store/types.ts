// The data model of the versioned store. See ../../../shared/DESIGN.md, "The store".
// Every engine (SQLite now, PostgreSQL next) returns exactly these shapes.

export const COLLECTION_KINDS = ['contacts', 'calendar', 'tasks', 'notes', 'files', 'records'] as const;
export type CollectionKind = (typeof COLLECTION_KINDS)[number];

/** Who the store is. Sync tokens and cursors carry all three, so a client can tell a
 * server that forgot (new store id, new generation, or a sequence behind its cursor). */
export interface StoreIdentity {
  storeId: string;
  /** Bumped by every restore from backup. */
  generation: number;
  /** The highest sequence number handed out so far; 0 for a new store. */
  sequence: number;
}

export interface User {
  id: number;
  name: string;
  createdAt: string;
  /** A deleted user cannot sign in; their data stays until it is purged on purpose. */
  deletedAt: string | null;
  /** The user's own quota in bytes; null: the server's default applies (see `usage()`). */
  quotaBytes: number | null;
}

/** What a user's live content takes, and the quota that applies to them (their own, or the
 * server's default; null: no limit). History and the trash are not charged. */
export interface UserUsage {
  usedBytes: number;
  quotaBytes: number | null;
}

/** A write that would take the user's usage over their quota. Nothing was stored. */
export interface OverQuota {
  kind: 'over-quota';
  quotaBytes: number;
  /** The usage when the write was refused. */
  usedBytes: number;
}

/** Display properties a client may set (DAV displayname, description, colour, order). */
export interface CollectionProps {
  displayName?: string;
  description?: string;
  color?: string;
  order?: number;
  /** Other properties a protocol wants kept verbatim (namespaced names as keys). */
  extra?: Record<string, string>;
}

/** The longest display texts a collection takes, in characters: every protocol that sets them
 * (PROPPATCH, the JSON API, the sync API) refuses longer ones. */
export const COLLECTION_TEXT_LIMITS = { displayName: 255, description: 4096, color: 64 } as const;

/** A change to a collection's properties: a value sets, null removes, absent leaves as is
 * (for `extra`, key by key). */
export type CollectionPropsPatch = { [K in Exclude<keyof CollectionProps, 'extra'>]?: CollectionProps[K] | null } & {
  extra?: Record<string, string | null>;
};

export interface Collection {
  id: number;
  userId: number;
  /** Unique among its live siblings; the last segment of its path and URL. */
  name: string;
  /** The collection it is nested in, or null at the top. */
  parentId: number | null;
  /** Names from the top joined by "/" ("photos/2024"): how callers address it. */
  path: string;
  kind: CollectionKind;
  props: CollectionProps;
  createdAt: string;
  updatedAt: string;
  deletedAt: string | null;
  /** Sequence of the last change to the collection itself (not its items). */
  seq: number;
}

/** How a revision's content is kept: inline in the metadata engine, in the blob engine,
 * or nowhere (a tombstone). */
export type ContentStorage = 'inline' | 'blob' | 'none';

/** One immutable version of an item. A delete is a revision too: a tombstone. */
export interface Revision {
  /** Globally unique and stable; a client may choose it, so re-sending is idempotent. */
  id: string;
  itemId: number;
  collectionId: number;
  itemName: string;
  parentId: string | null;
  /** Position in the store-wide change log. */
  seq: number;
  deleted: boolean;
  /** SHA-256 of the content, lowercase hex; null for a tombstone. */
  contentHash: string | null;
  size: number;
  contentType: string | null;
  storage: ContentStorage;
  /** Which device or client made it ("cli", "dav:Thunderbird", a device id…). */
  author: string;
  createdAt: string;
  /** Set when this revision brings back the content of an older one. */
  restoredFrom: string | null;
}

/** An item and its current revision. A deleted item is in the trash: its head is a tombstone. */
export interface Item {
  id: number;
  collectionId: number;
  name: string;
  head: Revision;
  deleted: boolean;
  /** Dead properties a client set (WebDAV PROPPATCH), by their Clark name "{ns}local". */
  props: Record<string, string>;
}

/** What a write expects to find. `match` is an If-Match on a revision id; `must-not-exist`
 * is If-None-Match: * (a deleted item counts as not existing). */
export type Precondition =
  | { kind: 'none' }
  | { kind: 'must-not-exist' }
  | { kind: 'match'; revisionId: string };

/** The bytes of a write: whole, or streamed (large files never sit in memory). */
export type ContentSource = Uint8Array | AsyncIterable<Uint8Array>;

export interface WriteOptions {
  contentType: string;
  author: string;
  precondition?: Precondition;
  /** A client-made revision id. Writing an id that already exists with the same content
   * answers `unchanged`; with other content, `revision-id-taken`. */
  revisionId?: string;
  /** Refuse content larger than this many bytes (`too-large`, nothing stored). */
  maxBytes?: number;
  /** Must be unique among the collection's live items (a vCard's or event's UID):
   * another live item with it answers `key-conflict`. */
  uniqueKey?: string;
}

export interface ChangeOptions {
  author: string;
  precondition?: Precondition;
  revisionId?: string;
}

export type WriteResult =
  | { kind: 'written'; revision: Revision; created: boolean }
  | { kind: 'unchanged'; revision: Revision }
  | { kind: 'precondition-failed'; current: Revision | null }
  | { kind: 'revision-id-taken' }
  | { kind: 'no-collection' }
  | { kind: 'too-large'; limit: number }
  | { kind: 'key-conflict'; existingName: string }
  | OverQuota;

export type DeleteResult =
  | { kind: 'deleted'; tombstone: Revision }
  | { kind: 'not-found' }
  | { kind: 'precondition-failed'; current: Revision | null }
  | { kind: 'no-collection' };

export type RestoreResult =
  | { kind: 'restored'; revision: Revision }
  | { kind: 'not-found' }
  | { kind: 'precondition-failed'; current: Revision | null }
  | { kind: 'not-deleted'; current: Revision }
  | { kind: 'is-tombstone' }
  | { kind: 'no-collection' }
  | { kind: 'key-conflict'; existingName: string }
  | OverQuota;

export type CreateCollectionResult =
  | { kind: 'created'; collection: Collection }
  | { kind: 'exists'; collection: Collection }
  | { kind: 'no-parent' };

export type CollectionChangeResult =
  | { kind: 'changed'; collection: Collection }
  | { kind: 'not-found' }
  | { kind: 'no-parent' }
  | { kind: 'name-taken'; collection: Collection };

/** A device's change of a collection's display properties (the sync API). `unchanged`: the
 * patch set nothing new (with `onlyMissing`, the collection already had every property). */
export type CollectionPropsImportResult =
  | { kind: 'changed'; collection: Collection }
  | { kind: 'unchanged'; collection: Collection }
  | { kind: 'collection-kind-mismatch'; collection: Collection };

/** Restoring a collection brings its live items back into the user's usage. */
export type CollectionRestoreResult = CollectionChangeResult | OverQuota;

/** Where a collection moves or is copied to: a parent path (null for the top) and a name. */
export interface CollectionTarget {
  parent: string | null;
  name: string;
}

export type CollectionMoveResult =
  | { kind: 'moved'; collection: Collection }
  | { kind: 'not-found' }
  | { kind: 'no-parent' }
  | { kind: 'name-taken'; collection: Collection }
  /** Into itself or its own subtree. */
  | { kind: 'into-itself' };

export type CollectionCopyResult =
  | { kind: 'copied'; collection: Collection; items: number }
  | { kind: 'not-found' }
  | { kind: 'no-parent' }
  | { kind: 'name-taken'; collection: Collection }
  | { kind: 'into-itself' }
  | OverQuota;

export interface ItemAddress {
  collection: string;
  name: string;
}

export interface TransferOptions {
  author: string;
  /** Replace a live item at the destination (its old content stays in its history). */
  overwrite: boolean;
  /** Checked against the source item. */
  precondition?: Precondition;
}

export type ItemTransferResult =
  | { kind: 'moved' | 'copied'; revision: Revision; created: boolean; tombstone: Revision | null }
  | { kind: 'not-found' }
  | { kind: 'no-collection' }
  | { kind: 'same-item' }
  | { kind: 'destination-exists'; current: Revision }
  | { kind: 'precondition-failed'; current: Revision | null }
  | { kind: 'key-conflict'; existingName: string }
  /** Only a copy: a move within one user's space never adds to their usage. */
  | OverQuota;

export type ItemPropsResult = { kind: 'changed'; item: Item } | { kind: 'not-found' };

/** One entry of the change log. */
export type Change =
  | { seq: number; kind: 'revision'; userId: number; collectionId: number; revision: Revision }
  | { seq: number; kind: 'collection'; userId: number; collectionId: number; collection: Collection };

export interface ChangesQuery {
  /** Only changes after this sequence number. */
  after: number;
  limit?: number;
  /** Only these collections (by id). */
  collectionIds?: number[];
}

/** Readable content of one revision. `open()` streams it; blob content is verified against
 * its hash while streaming and the stream errors rather than end on a mismatch. */
export interface Content {
  revision: Revision;
  size: number;
  open(): AsyncIterable<Uint8Array>;
}

export interface StoreStats {
  users: number;
  collections: number;
  items: number;
  deletedItems: number;
  revisions: number;
  inlineBytes: number;
  blobs: number;
  blobBytes: number;
}

export interface IntegrityProblem {
  kind:
    | 'metadata-corrupt'
    | 'missing-blob'
    | 'blob-hash-mismatch'
    | 'inline-hash-mismatch'
    | 'dangling-head'
    /** A user's kept usage figure differs from a recount of their live content. */
    | 'usage-mismatch';
  detail: string;
}

export interface IntegrityReport {
  ok: boolean;
  checkedRevisions: number;
  checkedBlobs: number;
  problems: IntegrityProblem[];
}

/** One group-commit transaction, reported to whoever watches the engine (metrics). */
export interface CommitBatch {
  writes: number;
  failed: number;
  durationMs: number;
}

/** The content of a revision a device made: its bytes, content this user already holds
 * (by SHA-256, so a re-sent photo is not uploaded twice), or none (a tombstone). */
export type ImportedContent =
  /** With `expectedHash`, content whose SHA-256 differs is refused (`content-hash-mismatch`). */
  | { kind: 'bytes'; source: ContentSource; expectedHash?: string }
  | { kind: 'held'; hash: string }
  | { kind: 'none' };

/** A revision made on a device, written with its own id, parent and creation time. */
export interface ImportRevision {
  /** The collection's path; created (each missing segment, of `collectionKind`) if absent. */
  collection: string;
  collectionKind: CollectionKind;
  name: string;
  revisionId: string;
  /** The revision the device edited, which this server may not hold. It becomes the
   * parent only when the item is absent here (a heal); otherwise the parent is the head the
   * revision was written on top of, so a replay of the log applies each on its parent. */
  parentId: string | null;
  /** The item's head must be this revision (null: the item must not exist yet), else
   * nothing is written and the answer is `head-moved`. */
  expectedHeadId: string | null;
  deleted: boolean;
  content: ImportedContent;
  contentType: string | null;
  author: string;
  createdAt: string;
  uniqueKey?: string;
  maxBytes?: number;
  /** What else happens in the same transaction, after the revision is written. */
  then?: ImportFollowUp;
}

export type ImportFollowUp =
  /** A merged revision on top of the imported one (server-made id). */
  | { kind: 'merged'; content: Uint8Array; contentType: string | null; uniqueKey?: string; author: string }
  /** The imported revision wins: the head it replaced is marked a conflict. */
  | { kind: 'conflict-imported-wins' }
  /** The head wins: the imported revision is marked a conflict and the head's content is
   * written again on top (restoredFrom the head), so the item ends where it was. */
  | { kind: 'conflict-head-wins'; author: string };

export type ImportResult =
  | { kind: 'written'; revision: Revision; followUp: Revision | null; conflict: ConflictMark | null }
  /** This user already holds a revision with this id for this item: a harmless re-send. */
  | { kind: 'unchanged'; revision: Revision }
  /** The id is taken (by another item, or by another user: which is never said). */
  | { kind: 'revision-id-taken' }
  | { kind: 'head-moved'; current: Revision | null }
  | { kind: 'content-not-held' }
  | { kind: 'content-hash-mismatch'; actual: string }
  | { kind: 'collection-kind-mismatch'; collection: Collection }
  | { kind: 'too-large'; limit: number }
  | { kind: 'key-conflict'; existingName: string }
  | OverQuota;

export type ResolveConflictResult =
  /** `restored`: the new head carrying the losing side (null when the winner was kept). */
  | { kind: 'resolved'; restored: Revision | null }
  /** No open conflict of this user's with that revision (or its collection is in the trash). */
  | { kind: 'not-found' }
  | { kind: 'key-conflict'; existingName: string }
  | OverQuota;

/** A revision that lost a conflict: kept in its item's history for the user to restore. */
export interface ConflictMark {
  /** The revision that lost (it is in the item's history, never the head). */
  revisionId: string;
  /** The head that won when the conflict was decided. */
  winnerId: string;
  collectionId: number;
  itemName: string;
  at: string;
}
