// The library as a person sees it: every live photo and video in their collections of
// kind 'files', newest first by when it was taken (by when it was uploaded, if the file
// does not say), each with what was read from it and where to fetch its images.
//
// It is derived from the user's own view of the store on every request (their 'files'
// collections and their items, joined with the index by content hash), so it can never
// show another user's photo or a deleted one. The cost is a scan of the user's files per
// page: fine for a family's tens of thousands of files, and the place to add a per-user
// table when it is not.
import type { UserStore } from '../store/store.ts';
import type { Item } from '../store/types.ts';
import type { MediaRecord } from './photo-index.ts';
import type { PhotoLibrary } from './photo-library.ts';
import { looksLikeMedia } from './sniff-media.ts';

export interface PhotoEntry {
  collection: string;
  name: string;
  path: string;
  sha256: string;
  mediaType: string | null;
  kind: 'image' | 'video' | null;
  size: number;
  takenAt: string | null;
  uploadedAt: string;
  width: number | null;
  height: number | null;
  orientation: number | null;
  camera: { make: string | null; model: string | null } | null;
  location: { latitude: number; longitude: number } | null;
  /** pending: not looked at yet; ready; unsupported (no decoder here); failed (damaged). */
  status: 'pending' | 'ready' | 'unsupported' | 'failed';
  reason: string | null;
  urls: { thumbnail: string; preview: string; original: string };
}

/** A live item in a 'files' collection. */
export interface FileRef {
  collection: string;
  item: Item;
}

export const PHOTOS_PREFIX = '/api/v1/photos';

export function encodePath(collection: string, name: string): string {
  return [...collection.split('/'), name].map(encodeURIComponent).join('/');
}

export async function liveFiles(userStore: UserStore): Promise<FileRef[]> {
  const collections = (await userStore.listCollections()).filter((c) => c.kind === 'files');
  const files: FileRef[] = [];
  for (const collection of collections) {
    for (const item of (await userStore.listItems(collection.path)) ?? []) {
      if (!item.deleted && item.head.contentHash !== null) files.push({ collection: collection.path, item });
    }
  }
  return files;
}

function entryOf(file: FileRef, record: MediaRecord | undefined): PhotoEntry {
  const { collection, item } = file;
  const sha256 = item.head.contentHash ?? '';
  const encoded = encodePath(collection, item.name);
  // The version in the URL lets a client cache an image for good: a new upload under the
  // same name is a new URL.
  const version = `?v=${sha256.slice(0, 16)}`;
  const hasCamera = record !== undefined && (record.make !== null || record.model !== null);
  return {
    collection,
    name: item.name,
    path: `${collection}/${item.name}`,
    sha256,
    mediaType: record?.mediaType ?? null,
    kind: record?.kind ?? null,
    size: item.head.size,
    takenAt: record?.takenAt ?? null,
    uploadedAt: item.head.createdAt,
    width: record?.width ?? null,
    height: record?.height ?? null,
    orientation: record?.orientation ?? null,
    camera: hasCamera ? { make: record.make, model: record.model } : null,
    location: record?.latitude != null && record.longitude != null ? { latitude: record.latitude, longitude: record.longitude } : null,
    // (not-media contents never get here: photoEntries leaves them out)
    status: record === undefined || record.status === 'not-media' ? 'pending' : record.status,
    reason: record?.reason ?? null,
    urls: {
      thumbnail: `${PHOTOS_PREFIX}/thumbnail/${encoded}${version}`,
      preview: `${PHOTOS_PREFIX}/preview/${encoded}${version}`,
      original: `${PHOTOS_PREFIX}/original/${encoded}`,
    },
  };
}

interface Sorted {
  entry: PhotoEntry;
  /** Capture time, or upload time, in ms: the order of the library. */
  at: number;
}

/** Entries for the files that are photos or videos (or may be, not looked at yet). */
export function photoEntries(files: FileRef[], library: PhotoLibrary): Sorted[] {
  const known = library.known([...new Set(files.map((f) => f.item.head.contentHash ?? ''))]);
  const sorted: Sorted[] = [];
  for (const file of files) {
    const record = known.get(file.item.head.contentHash ?? '');
    if (record ? record.status === 'not-media' : !looksLikeMedia(file.item.name, file.item.head.contentType)) continue;
    const entry = entryOf(file, record);
    sorted.push({ entry, at: record?.takenAtMs ?? Date.parse(file.item.head.createdAt) });
  }
  return sorted.sort((a, b) => b.at - a.at || (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
}

export interface Page {
  photos: PhotoEntry[];
  /** Pass as `cursor` for the next page; null on the last. */
  next: string | null;
}

export type CursorResult = { kind: 'ok'; after: { at: number; path: string } | null } | { kind: 'invalid' };

/** Cursors are opaque to clients: the position (time, path) of the last entry sent. */
export function decodeCursor(cursor: string | undefined): CursorResult {
  if (cursor === undefined || cursor === '') return { kind: 'ok', after: null };
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return { kind: 'ok', after: { at: value[0], path: value[1] } };
    }
  } catch {
    // fall through: not ours
  }
  return { kind: 'invalid' };
}

export function page(sorted: Sorted[], after: { at: number; path: string } | null, limit: number): Page {
  const start = after === null ? 0 : sorted.findIndex((s) => s.at < after.at || (s.at === after.at && s.entry.path > after.path));
  const slice = start === -1 ? [] : sorted.slice(start, start + limit);
  const last = slice.at(-1);
  const more = start !== -1 && start + limit < sorted.length;
  return {
    photos: slice.map((s) => s.entry),
    next: more && last ? Buffer.from(JSON.stringify([last.at, last.entry.path]), 'utf8').toString('base64url') : null,
  };
}
