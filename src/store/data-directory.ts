// What a data directory holds, told apart before anything is opened. The marker file
// `holdfast-store.json` names the store the directory belongs to, so an empty directory
// (an unmounted disk, a wrong path) is never mistaken for a store with no data yet.
//
// Initialisation writes the marker in two steps: `initializing` before the database exists,
// `ready` once it does. A crash in between leaves `initializing`, which is safe to redo:
// no write can have been acknowledged before the store was ready.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LOCK_FILE } from './directory-lock.ts';
import { writeFileDurably } from './durable-fs.ts';

export const MARKER_FILE = 'holdfast-store.json';
export const DATABASE_FILE = 'metadata.sqlite';
export const BLOBS_DIR = 'blobs';
export const MIGRATION_COPIES_DIR = 'pre-migration';

export interface StoreMarker {
  format: 'holdfast-store';
  version: 1;
  storeId: string;
  state: 'initializing' | 'ready';
  createdAt: string;
}

export type DataDirectoryState =
  | { kind: 'missing' }
  | { kind: 'empty' }
  | { kind: 'store'; marker: StoreMarker; hasDatabase: boolean }
  | { kind: 'unreadable-marker'; reason: string }
  | { kind: 'foreign'; entries: string[] };

/** Entries an empty file system or an OS may put in a fresh directory, and the owner's
 * lock (taken before a first start writes anything). */
const IGNORABLE = new Set(['lost+found', '.DS_Store', LOCK_FILE]);

export async function inspectDataDirectory(dir: string): Promise<DataDirectoryState> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  if (!entries.includes(MARKER_FILE)) {
    const meaningful = entries.filter((entry) => !IGNORABLE.has(entry));
    return meaningful.length === 0 ? { kind: 'empty' } : { kind: 'foreign', entries: meaningful.slice(0, 5) };
  }
  const marker = parseMarker(await readFile(join(dir, MARKER_FILE), 'utf8'));
  if (typeof marker === 'string') return { kind: 'unreadable-marker', reason: marker };
  return { kind: 'store', marker, hasDatabase: entries.includes(DATABASE_FILE) };
}

function parseMarker(text: string): StoreMarker | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return `it is not valid JSON (${error instanceof Error ? error.message : String(error)})`;
  }
  const marker = value as Partial<StoreMarker> | null;
  if (
    marker === null ||
    typeof marker !== 'object' ||
    marker.format !== 'holdfast-store' ||
    marker.version !== 1 ||
    typeof marker.storeId !== 'string' ||
    (marker.state !== 'initializing' && marker.state !== 'ready') ||
    typeof marker.createdAt !== 'string'
  ) {
    return 'it does not have the fields of a Holdfast store marker (format, version, storeId, state, createdAt)';
  }
  return marker as StoreMarker;
}

export async function writeMarker(dir: string, marker: StoreMarker): Promise<void> {
  await writeFileDurably(join(dir, MARKER_FILE), `${JSON.stringify(marker, null, 2)}\n`);
}
