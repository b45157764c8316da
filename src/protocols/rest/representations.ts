// What the JSON API shows of the store's records. Internal numeric ids stay inside:
// clients address collections and items by name and revisions by their stable id.
import type { Collection, Item, Revision } from '../../store/types.ts';
import { etagOf } from './conditional.ts';

export interface RevisionJson {
  id: string;
  etag: string;
  parent: string | null;
  seq: number;
  deleted: boolean;
  contentHash: string | null;
  size: number;
  contentType: string | null;
  author: string;
  createdAt: string;
  restoredFrom: string | null;
}

export function revisionJson(revision: Revision): RevisionJson {
  return {
    id: revision.id,
    etag: etagOf(revision),
    parent: revision.parentId,
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

export function itemJson(item: Item, collectionName?: string): Record<string, unknown> {
  return {
    ...(collectionName === undefined ? {} : { collection: collectionName }),
    name: item.name,
    deleted: item.deleted,
    etag: etagOf(item.head),
    revision: revisionJson(item.head),
  };
}

export function collectionJson(collection: Collection): Record<string, unknown> {
  return {
    name: collection.name,
    kind: collection.kind,
    props: collection.props,
    createdAt: collection.createdAt,
    updatedAt: collection.updatedAt,
  };
}
