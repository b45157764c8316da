// What the sync API shows of the store's records (docs/sync-openapi.json has the schemas).
// Unlike the REST API, collections are named by id as well as path: a device keeps the id
// across renames, and pulls can be limited to a set of ids.
import type { Collection, ConflictMark, Revision } from '../../store/types.ts';

export interface SyncCollectionJson {
  id: number;
  path: string;
  name: string;
  parentId: number | null;
  kind: Collection['kind'];
  props: Collection['props'];
  deleted: boolean;
  seq: number;
}

export interface SyncRevisionJson {
  id: string;
  collectionId: number;
  collectionPath: string | null;
  itemName: string;
  parentId: string | null;
  seq: number;
  deleted: boolean;
  contentHash: string | null;
  size: number;
  contentType: string | null;
  author: string;
  createdAt: string;
  restoredFrom: string | null;
}

export function syncCollectionJson(collection: Collection): SyncCollectionJson {
  return {
    id: collection.id,
    path: collection.path,
    name: collection.name,
    parentId: collection.parentId,
    kind: collection.kind,
    props: collection.props,
    deleted: collection.deletedAt !== null,
    seq: collection.seq,
  };
}

/** `paths` maps collection ids to paths (a collection may have moved since). */
export function syncRevisionJson(revision: Revision, paths: ReadonlyMap<number, string>): SyncRevisionJson {
  return {
    id: revision.id,
    collectionId: revision.collectionId,
    collectionPath: paths.get(revision.collectionId) ?? null,
    itemName: revision.itemName,
    parentId: revision.parentId,
    seq: revision.seq,
    deleted: revision.deleted,
    contentHash: revision.contentHash,
    size: revision.size,
    contentType: revision.contentType,
    author: revision.author,
    createdAt: revision.createdAt,
    restoredFrom: revision.restoredFrom,
  };
}

export function conflictJson(mark: ConflictMark, revision: Revision | null, paths: ReadonlyMap<number, string>): Record<string, unknown> {
  return {
    revisionId: mark.revisionId,
    winnerRevisionId: mark.winnerId,
    collectionId: mark.collectionId,
    collectionPath: paths.get(mark.collectionId) ?? null,
    itemName: mark.itemName,
    at: mark.at,
    revision: revision ? syncRevisionJson(revision, paths) : null,
  };
}
