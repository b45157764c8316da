// Albums are collections of references, kept in the store like everything else, so they
// are versioned, synced and backed up, and a deleted album is in the trash:
//
//   albums/                    kind 'records', made on first use
//   albums/<id>/               one per album; its displayName is the album's title
//   albums/<id>/<sha256>.json  one per member: {"sha256": "…", "path": "files/Camera/IMG_1.jpg"}
//
// A member names its photo by content hash as well as by path, so it survives the photo
// being moved or renamed: the path is tried first, then any live file with the hash.
// Nothing here ever writes to or deletes a photo.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { UserStore } from '../store/store.ts';
import type { Collection, Item } from '../store/types.ts';
import { liveFiles, type FileRef } from './library-entries.ts';

export const ALBUMS_COLLECTION = 'albums';
export const ALBUMS_AUTHOR = 'photos';

export interface Album {
  id: string;
  title: string;
  members: number;
  createdAt: string;
  updatedAt: string;
}

export interface MemberRef {
  sha256: string;
  path: string;
}

const memberJson = z.strictObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), path: z.string().min(1) });

export type AlbumsRoot = { kind: 'ok' } | { kind: 'taken'; holds: string };

/** Makes the top-level `albums` collection if it is missing. */
export async function ensureAlbumsRoot(userStore: UserStore): Promise<AlbumsRoot> {
  const result = await userStore.createCollection({ name: ALBUMS_COLLECTION, kind: 'records', props: { displayName: 'Albums' } });
  if (result.kind === 'no-parent') throw new Error('creating a top-level collection answered no-parent');
  if (result.collection.kind !== 'records') return { kind: 'taken', holds: result.collection.kind };
  return { kind: 'ok' };
}

const albumPath = (id: string): string => `${ALBUMS_COLLECTION}/${id}`;
export const memberName = (sha256: string): string => `${sha256}.json`;

async function albumOf(userStore: UserStore, collection: Collection): Promise<Album> {
  const items = (await userStore.listItems(collection.path)) ?? [];
  return {
    id: collection.name,
    title: collection.props.displayName ?? collection.name,
    members: items.length,
    createdAt: collection.createdAt,
    updatedAt: collection.updatedAt,
  };
}

export async function listAlbums(userStore: UserStore): Promise<Album[]> {
  const root = await userStore.getCollection(ALBUMS_COLLECTION);
  if (!root || root.kind !== 'records') return [];
  const children = await userStore.listCollections({ parent: ALBUMS_COLLECTION });
  const albums = await Promise.all(children.map((c) => albumOf(userStore, c)));
  return albums.sort((a, b) => a.title.localeCompare(b.title) || a.id.localeCompare(b.id));
}

/** The album, or null; a collection under an `albums` that is not the library's (say, a
 * folder of files the user named so) is never taken for one, so nothing is written there. */
export async function getAlbum(userStore: UserStore, id: string): Promise<Album | null> {
  const root = await userStore.getCollection(ALBUMS_COLLECTION);
  if (!root || root.kind !== 'records') return null;
  const collection = await userStore.getCollection(albumPath(id));
  return collection && collection.kind === 'records' ? albumOf(userStore, collection) : null;
}

export async function createAlbum(userStore: UserStore, title: string): Promise<Album> {
  // Ids are random, not made from the title: two albums may share a title, and a rename
  // must not move anything.
  const id = `album-${randomBytes(9).toString('base64url')}`;
  const result = await userStore.createCollection({ name: id, parent: ALBUMS_COLLECTION, kind: 'records', props: { displayName: title } });
  if (result.kind !== 'created') throw new Error(`creating album ${id} answered ${result.kind}`);
  return albumOf(userStore, result.collection);
}

export async function renameAlbum(userStore: UserStore, id: string, title: string): Promise<Album | null> {
  const result = await userStore.updateCollection(albumPath(id), { displayName: title });
  return result.kind === 'changed' ? albumOf(userStore, result.collection) : null;
}

/** Moves the album (its references, never the photos) to the trash. */
export async function deleteAlbum(userStore: UserStore, id: string): Promise<boolean> {
  return (await userStore.deleteCollection(albumPath(id))).kind === 'changed';
}

export type AddMemberResult = { kind: 'added' | 'already'; member: MemberRef } | { kind: 'no-album' };

export async function addMember(userStore: UserStore, id: string, member: MemberRef): Promise<AddMemberResult> {
  const body = Buffer.from(`${JSON.stringify(member)}\n`, 'utf8');
  const result = await userStore.putItem(albumPath(id), memberName(member.sha256), body, { contentType: 'application/json', author: ALBUMS_AUTHOR });
  switch (result.kind) {
    case 'written':
      return { kind: result.created ? 'added' : 'already', member };
    case 'unchanged':
      return { kind: 'already', member };
    case 'no-collection':
      return { kind: 'no-album' };
    default:
      throw new Error(`adding a member to album ${id} answered ${result.kind}`);
  }
}

export type RemoveMemberResult = 'removed' | 'not-member' | 'no-album';

export async function removeMember(userStore: UserStore, id: string, sha256: string): Promise<RemoveMemberResult> {
  const result = await userStore.deleteItem(albumPath(id), memberName(sha256), { author: ALBUMS_AUTHOR });
  if (result.kind === 'deleted') return 'removed';
  if (result.kind === 'no-collection') return 'no-album';
  return 'not-member';
}

async function readMember(userStore: UserStore, item: Item): Promise<MemberRef | null> {
  const content = await userStore.readContent(item.head.id);
  if (!content) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of content.open()) chunks.push(Buffer.from(chunk));
  try {
    const parsed = memberJson.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    // Written by something else (a DAV client): not a reference, so not a member.
    return null;
  }
}

export interface ResolvedMembers {
  found: FileRef[];
  /** Members whose photo is in no live file any more (deleted; it may be in the trash). */
  missing: MemberRef[];
}

/** The album's members as the user's live files: by path, else by hash; null if no album. */
export async function resolveMembers(userStore: UserStore, id: string): Promise<ResolvedMembers | null> {
  const items = await userStore.listItems(albumPath(id));
  if (!items) return null;
  const members = (await Promise.all(items.map((item) => readMember(userStore, item)))).filter((m): m is MemberRef => m !== null);
  const found: FileRef[] = [];
  const unresolved: MemberRef[] = [];
  const kinds = new Map((await userStore.listCollections()).map((c) => [c.path, c.kind]));
  for (const member of members) {
    const slash = member.path.lastIndexOf('/');
    const collection = member.path.slice(0, slash);
    const name = member.path.slice(slash + 1);
    const item = slash > 0 && kinds.get(collection) === 'files' ? await userStore.getItem(collection, name) : null;
    if (item && !item.deleted && item.head.contentHash === member.sha256) found.push({ collection, item });
    else unresolved.push(member);
  }
  if (unresolved.length === 0) return { found, missing: [] };
  // Moved or renamed: one scan of the user's files finds them all by hash.
  const byHash = new Map<string, FileRef>();
  for (const file of (await liveFiles(userStore)).sort((a, b) => (a.collection + a.item.name).localeCompare(b.collection + b.item.name))) {
    const hash = file.item.head.contentHash ?? '';
    if (!byHash.has(hash)) byHash.set(hash, file);
  }
  const missing: MemberRef[] = [];
  for (const member of unresolved) {
    const file = byHash.get(member.sha256);
    if (file) found.push(file);
    else missing.push(member);
  }
  return { found, missing };
}
