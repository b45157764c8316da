// The interfaces every metadata engine implements. Callers (protocols, CLI, server) see
// only these, so the PostgreSQL engine can replace SQLite without changing them.
//
// Users are walled off from each other here, at the store boundary: user data is reached
// only through `forUser(id)`, whose every query is bound to that user. A handler that
// holds one user's `UserStore` cannot name another user's collection.

import type {
  Change,
  ChangeOptions,
  ChangesQuery,
  Collection,
  CollectionChangeResult,
  CollectionCopyResult,
  CollectionKind,
  CollectionRestoreResult,
  CollectionMoveResult,
  CollectionTarget,
  ConflictMark,
  CollectionProps,
  CollectionPropsPatch,
  CollectionPropsImportResult,
  Content,
  ContentSource,
  CreateCollectionResult,
  DeleteResult,
  IntegrityReport,
  ImportRevision,
  ImportResult,
  ResolveConflictResult,
  Item,
  ItemAddress,
  ItemPropsResult,
  ItemTransferResult,
  TransferOptions,
  RestoreResult,
  Revision,
  StoreIdentity,
  StoreStats,
  User,
  UserUsage,
  WriteOptions,
  WriteResult,
} from './types.ts';

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  identity(): Promise<StoreIdentity>;
  readonly accounts: AccountRepository;
  /** The one way to reach a user's data. */
  forUser(userId: number): UserStore;
  /** The store-wide change log, in sequence order (backup, replication, scrub). */
  changesSince(query: ChangesQuery & { userId?: number }): Promise<Change[]>;
  /** Throws unless a durable write to the metadata engine and the blob engine succeeds. */
  checkWritable(): Promise<void>;
  /** Metadata integrity, heads, and every blob's presence (and, if asked, its hash). */
  checkIntegrity(options?: { verifyBlobContent?: boolean }): Promise<IntegrityReport>;
  stats(): Promise<StoreStats>;
  /** Finishes the writes already accepted, then closes. Later writes are refused. */
  close(): Promise<void>;
}

export interface UserStore {
  readonly userId: number;

  // Collections nest. Every `collection` argument below is a path: names from the top
  // joined by "/" ("contacts", "photos/2024").

  /** All collections by path; with `parent`, only the direct children of that path (null:
   * the top level). */
  listCollections(options?: { includeDeleted?: boolean; parent?: string | null }): Promise<Collection[]>;
  /** A live collection by path, or null. */
  getCollection(path: string): Promise<Collection | null>;
  /** Creates `name` inside the live collection at `parent` (or at the top). */
  createCollection(input: { name: string; kind: CollectionKind; props?: CollectionProps; parent?: string }): Promise<CreateCollectionResult>;
  /** Merges the given properties into the collection's: a value sets, null removes,
   * undefined leaves one unchanged (for `extra`, key by key). */
  updateCollection(path: string, props: CollectionPropsPatch): Promise<CollectionChangeResult>;
  /** A device's change of a collection's display properties (the sync API), in one
   * transaction: creates the collection along its path if it is absent (a server that came
   * back empty), refuses a collection of another kind, and with `onlyMissing` sets only the
   * properties the collection lacks, so a heal fills in what the server forgot and never
   * overwrites what it has. */
  importCollectionProps(input: { path: string; kind: CollectionKind; props: CollectionPropsPatch; onlyMissing: boolean }): Promise<CollectionPropsImportResult>;
  /** Moves the collection and everything inside it to the trash; items keep their history. */
  deleteCollection(path: string): Promise<CollectionChangeResult>;
  /** Brings a deleted collection back by id, with what was deleted with it, under its old
   * name or a new one. */
  restoreCollection(collectionId: number, newName?: string): Promise<CollectionRestoreResult>;
  /** Renames or moves a collection with its subtree, atomically. With `overwrite`, a live
   * collection at the destination goes to the trash first. */
  moveCollection(path: string, to: CollectionTarget, options: { overwrite: boolean }): Promise<CollectionMoveResult>;
  /** Copies a collection (depth 0: itself and its properties; 'infinity': everything inside
   * too) in one transaction. Content is shared, not duplicated. */
  copyCollection(
    path: string,
    to: CollectionTarget,
    options: { overwrite: boolean; depth: 0 | 'infinity'; author: string },
  ): Promise<CollectionCopyResult>;

  /** Live items of a collection (`includeDeleted` adds the trash). Null if no such collection. */
  listItems(collection: string, options?: { includeDeleted?: boolean }): Promise<Item[] | null>;
  /** The item, live or deleted (check `deleted`), or null. */
  getItem(collection: string, name: string): Promise<Item | null>;
  putItem(collection: string, name: string, content: ContentSource, options: WriteOptions): Promise<WriteResult>;
  deleteItem(collection: string, name: string, options: ChangeOptions): Promise<DeleteResult>;
  /** In one transaction: the source gets a tombstone and the destination a revision with
   * the same content and the source's dead properties. A move can never lose or duplicate
   * an item. */
  moveItem(from: ItemAddress, to: ItemAddress, options: TransferOptions): Promise<ItemTransferResult>;
  copyItem(from: ItemAddress, to: ItemAddress, options: TransferOptions): Promise<ItemTransferResult>;
  /** Sets (or, with null, removes) dead properties of a live item. Not a revision: the
   * content and its ETag do not change. */
  setItemProps(collection: string, name: string, props: Record<string, string | null>): Promise<ItemPropsResult>;

  /** Any revision of any of this user's items, or null (also for another user's revision). */
  getRevision(revisionId: string): Promise<Revision | null>;
  /** The content of a revision of this user's, or null (tombstones have none). */
  readContent(revisionId: string): Promise<Content | null>;
  /** Every revision of an item, newest first. Null if no such item. */
  history(collection: string, name: string): Promise<Revision[] | null>;
  /** Writes the content of an older revision as a new revision on top of the head. */
  restoreRevision(collection: string, name: string, revisionId: string, options: ChangeOptions): Promise<RestoreResult>;
  /** Deleted items, newest deletion first, across all collections or one. */
  listTrash(collection?: string): Promise<Item[]>;
  /** Brings a deleted item back with the content it had before it was deleted. */
  undelete(collection: string, name: string, options: ChangeOptions): Promise<RestoreResult>;

  /** Which of these SHA-256 hashes (lowercase hex) the content of one of this user's
   * revisions has: live, in an item's history, or in the trash. Another user's content
   * never counts. */
  hasContent(hashes: readonly string[]): Promise<Set<string>>;

  /** This user's part of the change log. */
  changesSince(query: ChangesQuery): Promise<Change[]>;

  /** The bytes of this user's live content and the quota that applies to them. Cheap: a
   * figure kept in step with every write, not a recount.
   *
   * Quota: a put, copy, restore, undelete or collection restore that would take usage over
   * the quota answers `over-quota` and stores nothing; the check is made in the write's own
   * transaction, so concurrent writes cannot together pass the limit. A write that does not
   * add to usage (a delete, a move, a smaller replacement) is never refused for quota. */
  usage(): Promise<UserUsage>;

  // The sync API for devices (docs/sync.md).

  /** Writes a revision a device made, keeping its id, parent and creation time, in one
   * transaction with its follow-up (a merged revision, or a conflict mark). */
  importRevision(input: ImportRevision): Promise<ImportResult>;
  /** Open conflicts: revisions that lost one, newest first (in live collections). */
  listConflicts(options?: { limit?: number }): Promise<ConflictMark[]>;
  /** Closes a conflict, in one transaction: keeps the winner, or (`restore`) writes the
   * losing side on top of the head (a losing tombstone deletes the item). */
  resolveConflict(revisionId: string, options: { restore: boolean; author: string }): Promise<ResolveConflictResult>;
  /** How many conflicts are open, and the SHA-256 (hex) of their losing revision ids, sorted
   * and joined by newlines: a device compares it with its copy of the list to know whether to
   * fetch it again. */
  conflictSummary(): Promise<{ open: number; fingerprint: string }>;
  /**
   * Puts back conflict marks a device kept (a heal of a server that forgot them), in one
   * transaction. A mark is taken when both revisions are this user's and the server has no
   * mark for the losing revision, open or resolved; the others are left out. Answers how
   * many were taken.
   */
  importConflicts(marks: readonly { revisionId: string; winnerId: string; at: string }[]): Promise<number>;
  /** The sequence of this user's newest change; 0 if none. */
  latestSequence(): Promise<number>;
}

export type CredentialKind = 'app-password' | 'token';

/** An app password (for Basic auth clients) or an API bearer token. Only a hash of the
 * secret is stored; the secret itself is shown once, when it is made. */
export interface Credential {
  id: string;
  userId: number;
  kind: CredentialKind;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export type CreateUserResult = { kind: 'created'; user: User } | { kind: 'name-taken'; user: User };

export interface AccountRepository {
  createUser(name: string, passwordHash: string): Promise<CreateUserResult>;
  getUser(id: number): Promise<User | null>;
  /** A live user by name; `includeDeleted` also finds deleted ones. */
  getUserByName(name: string, options?: { includeDeleted?: boolean }): Promise<User | null>;
  listUsers(options?: { includeDeleted?: boolean }): Promise<User[]>;
  passwordHash(userId: number): Promise<string | null>;
  setPasswordHash(userId: number, passwordHash: string): Promise<boolean>;
  /** Marks the user deleted: they cannot sign in, their data stays. */
  deleteUser(userId: number): Promise<boolean>;
  restoreUser(userId: number): Promise<boolean>;
  /** Sets the user's own quota in bytes; null: the server's default applies. False if no
   * such user. Lowering it below their usage refuses only writes that add to it. */
  setQuota(userId: number, quotaBytes: number | null): Promise<boolean>;

  addCredential(input: {
    id: string;
    userId: number;
    kind: CredentialKind;
    label: string;
    secretHash: string;
    expiresAt: string | null;
  }): Promise<Credential>;
  /** A credential that is not revoked, by the hash of its secret. */
  findCredential(kind: CredentialKind, secretHash: string): Promise<Credential | null>;
  listCredentials(userId: number, kind: CredentialKind): Promise<Credential[]>;
  revokeCredential(userId: number, credentialId: string): Promise<boolean>;
  /** Records a use. Not worth an fsync of its own: it may be lost in a crash. */
  touchCredential(credentialId: string, at: string): Promise<void>;
}
