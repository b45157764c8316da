// The photo library's own SQLite file (<dataDir>/derived/photos.sqlite): what was read from
// each distinct content (by SHA-256), whether its thumbnail and preview could be made, and
// how far the indexer has followed the store's change log.
//
// It is derived data, not part of the store: nothing in it is the only copy of anything.
// So it is not fsynced on every change, not migrated, and not backed up; a file that is
// missing, damaged or of another schema version is thrown away and rebuilt from the store.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PhotoMetadata } from './read-photo-metadata.ts';

/** Bumped whenever the tables or what is extracted into them change: an older file is rebuilt. */
const SCHEMA_VERSION = 1;

export type MediaStatus =
  /** Thumbnail and preview can be made (and usually already are). */
  | 'ready'
  /** Stored and served byte-exact, but nothing here can decode it (HEIC with HEVC, video). */
  | 'unsupported'
  /** It claims to be an image but could not be decoded: truncated or corrupt. */
  | 'failed'
  /** Not an image or video: the library leaves it out. */
  | 'not-media';

/** What the index keeps of one content: how it was processed, and what it says about
 * itself. `takenAt` is as the camera recorded it (ISO 8601 with its offset when known);
 * `takenAtMs` is the sort key (a time without an offset is read as UTC). */
export interface MediaRecord extends PhotoMetadata {
  sha256: string;
  kind: 'image' | 'video' | null;
  mediaType: string | null;
  status: MediaStatus;
  reason: string | null;
  processedAt: string;
}

export interface Checkpoint {
  storeId: string;
  generation: number;
  seq: number;
}

interface MediaRow {
  sha256: string;
  kind: 'image' | 'video' | null;
  media_type: string | null;
  status: MediaStatus;
  reason: string | null;
  taken_at: string | null;
  taken_at_ms: number | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  make: string | null;
  model: string | null;
  latitude: number | null;
  longitude: number | null;
  processed_at: string;
}

const SCHEMA = `
  CREATE TABLE media (
    sha256 TEXT PRIMARY KEY,
    kind TEXT,
    media_type TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    taken_at TEXT,
    taken_at_ms INTEGER,
    width INTEGER,
    height INTEGER,
    orientation INTEGER,
    make TEXT,
    model TEXT,
    latitude REAL,
    longitude REAL,
    processed_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE checkpoint (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    store_id TEXT NOT NULL,
    generation INTEGER NOT NULL,
    seq INTEGER NOT NULL
  );
`;

function toRecord(row: MediaRow): MediaRecord {
  return {
    sha256: row.sha256,
    kind: row.kind,
    mediaType: row.media_type,
    status: row.status,
    reason: row.reason,
    takenAt: row.taken_at,
    takenAtMs: row.taken_at_ms,
    width: row.width,
    height: row.height,
    orientation: row.orientation,
    make: row.make,
    model: row.model,
    latitude: row.latitude,
    longitude: row.longitude,
    processedAt: row.processed_at,
  };
}

export interface PhotoIndex {
  /** Why the file was rebuilt when it was opened, or null if it was fine. */
  readonly rebuiltBecause: string | null;
  get(sha256: string): MediaRecord | null;
  /** Records for these hashes (those known). */
  getMany(hashes: string[]): Map<string, MediaRecord>;
  put(record: MediaRecord): void;
  checkpoint(): Checkpoint | null;
  setCheckpoint(checkpoint: Checkpoint): void;
  counts(): Record<MediaStatus, number>;
  close(): void;
}

function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // Derived data: losing the last changes in a power cut only means redoing them.
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } else if (version !== SCHEMA_VERSION) {
      throw new RebuildNeeded(`it has schema version ${version}, this server uses ${SCHEMA_VERSION}`);
    }
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new RebuildNeeded(`its integrity check says: ${String(check)}`);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

class RebuildNeeded extends Error {}

function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
}

/** Opens the index at `path`, rebuilding it empty if it is damaged or of another version. */
export function openPhotoIndex(path: string): PhotoIndex {
  mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  let rebuiltBecause: string | null = null;
  try {
    db = openDatabase(path);
  } catch (error) {
    // Whatever is wrong with it (not a database, damaged, another version), the cure is
    // the same: it holds nothing that cannot be made again from the store.
    rebuiltBecause = error instanceof Error ? error.message : String(error);
    removeDatabaseFiles(path);
    db = openDatabase(path);
  }

  const getOne = db.prepare<[string], MediaRow>('SELECT * FROM media WHERE sha256 = ?');
  const upsert = db.prepare(
    `INSERT INTO media (sha256, kind, media_type, status, reason, taken_at, taken_at_ms, width, height, orientation, make, model, latitude, longitude, processed_at)
     VALUES (@sha256, @kind, @mediaType, @status, @reason, @takenAt, @takenAtMs, @width, @height, @orientation, @make, @model, @latitude, @longitude, @processedAt)
     ON CONFLICT (sha256) DO UPDATE SET kind = excluded.kind, media_type = excluded.media_type, status = excluded.status, reason = excluded.reason,
       taken_at = excluded.taken_at, taken_at_ms = excluded.taken_at_ms, width = excluded.width, height = excluded.height,
       orientation = excluded.orientation, make = excluded.make, model = excluded.model, latitude = excluded.latitude,
       longitude = excluded.longitude, processed_at = excluded.processed_at`,
  );
  const readCheckpoint = db.prepare<[], { store_id: string; generation: number; seq: number }>('SELECT store_id, generation, seq FROM checkpoint WHERE id = 1');
  const writeCheckpoint = db.prepare(
    'INSERT INTO checkpoint (id, store_id, generation, seq) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET store_id = excluded.store_id, generation = excluded.generation, seq = excluded.seq',
  );
  const countRows = db.prepare<[], { status: MediaStatus; n: number }>('SELECT status, count(*) AS n FROM media GROUP BY status');

  return {
    rebuiltBecause,
    get: (sha256) => {
      const row = getOne.get(sha256);
      return row ? toRecord(row) : null;
    },
    getMany(hashes) {
      const found = new Map<string, MediaRecord>();
      // In slices, to stay well under SQLite's limit on bound parameters.
      for (let start = 0; start < hashes.length; start += 500) {
        const slice = hashes.slice(start, start + 500);
        const rows = db.prepare(`SELECT * FROM media WHERE sha256 IN (${slice.map(() => '?').join(',')})`).all(...slice) as MediaRow[];
        for (const row of rows) found.set(row.sha256, toRecord(row));
      }
      return found;
    },
    put: (record) => void upsert.run(record),
    checkpoint() {
      const row = readCheckpoint.get();
      return row ? { storeId: row.store_id, generation: row.generation, seq: row.seq } : null;
    },
    setCheckpoint: (checkpoint) => void writeCheckpoint.run(checkpoint.storeId, checkpoint.generation, checkpoint.seq),
    counts() {
      const counts: Record<MediaStatus, number> = { ready: 0, unsupported: 0, failed: 0, 'not-media': 0 };
      for (const row of countRows.all()) counts[row.status] = row.n;
      return counts;
    },
    close: () => db.close(),
  };
}
