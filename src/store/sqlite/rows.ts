// Row shapes as SQLite returns them, and their mapping to the store's types.
import type { Credential, CredentialKind } from '../store.ts';
import type { Collection, CollectionKind, CollectionProps, ContentStorage, Item, Revision, User } from '../types.ts';

export interface UserRow {
  id: number;
  name: string;
  created_at: string;
  deleted_at: string | null;
  quota_bytes: number | null;
}

export interface CredentialRow {
  id: string;
  user_id: number;
  kind: CredentialKind;
  label: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export interface CollectionRow {
  id: number;
  user_id: number;
  parent_id: number | null;
  name: string;
  path: string;
  deleted_with: number | null;
  kind: CollectionKind;
  props: string;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
  seq: number;
}

/** A revision joined with its item (for the item's name and collection). */
export interface RevisionRow {
  id: string;
  item_id: number;
  collection_id: number;
  item_name: string;
  parent_id: string | null;
  seq: number;
  deleted: number;
  content_hash: string | null;
  size: number;
  content_type: string | null;
  storage: ContentStorage;
  author: string;
  created_at: string;
  restored_from: string | null;
}

/** A revision row that is an item's head, with the item's own columns. */
export interface ItemRow extends RevisionRow {
  item_props: string | null;
}

/** The columns that make a RevisionRow, for `SELECT ${REVISION_COLUMNS} FROM revisions r JOIN items i …`. */
export const REVISION_COLUMNS = `r.id, r.item_id, i.collection_id, i.name AS item_name, r.parent_id, r.seq, r.deleted,
  r.content_hash, r.size, r.content_type, r.storage, r.author, r.created_at, r.restored_from`;

export function toUser(row: UserRow): User {
  return { id: row.id, name: row.name, createdAt: row.created_at, deletedAt: row.deleted_at, quotaBytes: row.quota_bytes };
}

export function toCredential(row: CredentialRow): Credential {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    label: row.label,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export function toCollection(row: CollectionRow): Collection {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    parentId: row.parent_id,
    path: row.path,
    kind: row.kind,
    props: JSON.parse(row.props) as CollectionProps,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    deletedAt: row.deleted_at,
    seq: row.seq,
  };
}

export function toRevision(row: RevisionRow): Revision {
  return {
    id: row.id,
    itemId: row.item_id,
    collectionId: row.collection_id,
    itemName: row.item_name,
    parentId: row.parent_id,
    seq: row.seq,
    deleted: row.deleted === 1,
    contentHash: row.content_hash,
    size: row.size,
    contentType: row.content_type,
    storage: row.storage,
    author: row.author,
    createdAt: row.created_at,
    restoredFrom: row.restored_from,
  };
}

/** The columns that make an ItemRow, for `SELECT ${ITEM_COLUMNS} FROM items i JOIN revisions r ON r.id = i.head_revision_id …`. */
export const ITEM_COLUMNS = `${REVISION_COLUMNS}, i.props AS item_props`;

export function toItem(row: ItemRow): Item {
  const head = toRevision(row);
  return {
    id: head.itemId,
    collectionId: head.collectionId,
    name: head.itemName,
    head,
    deleted: head.deleted,
    props: row.item_props === null ? {} : (JSON.parse(row.item_props) as Record<string, string>),
  };
}
