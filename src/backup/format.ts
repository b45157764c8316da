// The backup format: what objects a target holds, what they are called, and how each is
// checked. docs/backup.md describes it for people; this file is its single definition.
//
//   holdfast-backup.json                    the header: format, version, store id
//   blobs/ab/<sha256>                       large content, named by its SHA-256
//   g<generation>/snapshots/<seq>-<id>.sqlite.gz       the metadata at sequence <seq>
//   g<generation>/segments/<first>-<last>-<id>.jsonl.gz  changes first..last, one JSON per line
//   g<generation>/manifests/snapshot-<seq>-<id>.json   what a snapshot is, with its SHA-256
//   g<generation>/manifests/segment-<first>-<last>-<id>.json
//
// A manifest is written after the object it describes, so an object without a manifest is
// an interrupted write and is ignored. Names are never reused (<id> is random), so a
// target is append-only; shipping the same changes twice is harmless: restore keeps the
// first record of each sequence number.
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Collection, Revision } from '../store/types.ts';
import { isEncryptionHeader } from './encryption.ts';
import type { EncryptionHeader } from './encryption.ts';

export const HEADER_KEY = 'holdfast-backup.json';
export const BACKUP_FORMAT = 'holdfast-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_FORMAT_VERSION;
  storeId: string;
  createdAt: string;
  /** Null for a plain backup; else how the objects are sealed (see encryption.ts). */
  encryption: EncryptionHeader | null;
}

/** A users table row, verbatim (password hashes included: a restore must let people sign in). */
export interface UserRow {
  id: number;
  name: string;
  password_hash: string;
  created_at: string;
  deleted_at: string | null;
  /** The user's own quota (null: the server's default). Absent in backups made before quotas. */
  quota_bytes?: number | null;
}

/** A credentials table row, verbatim (only a hash of each secret, never the secret). */
export interface CredentialRow {
  id: string;
  user_id: number;
  kind: string;
  label: string;
  secret_hash: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

/** One line of a segment. */
export type SegmentRecord =
  | {
      type: 'revision';
      seq: number;
      at: string;
      userId: number;
      collectionId: number;
      revision: Revision;
      /** The item's unique key (a vCard's or event's UID) carried by this revision. */
      uniqueKey: string | null;
      /** Inline content, base64; blob content is in blobs/ under revision.contentHash. */
      inline: string | null;
    }
  | {
      type: 'collection';
      seq: number;
      at: string;
      userId: number;
      collectionId: number;
      collection: Collection;
      /** Which collection's deletion took this one to the trash, if it is deleted. */
      deletedWith: number | null;
    }
  | {
      /** Users and credentials as they were at `at`, after change `afterSeq`: they are not
       * in the change log, so every pass that sees them differ ships them whole. */
      type: 'accounts';
      afterSeq: number;
      at: string;
      users: UserRow[];
      credentials: CredentialRow[];
    };

export interface SegmentManifest {
  kind: 'segment';
  format: typeof BACKUP_FORMAT;
  generation: number;
  object: string;
  sha256: string;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
  /** Time of the first and last change record (null for an accounts-only segment). */
  firstAt: string | null;
  lastAt: string | null;
  records: number;
  writtenAt: string;
}

export interface SnapshotManifest {
  kind: 'snapshot';
  format: typeof BACKUP_FORMAT;
  generation: number;
  object: string;
  sha256: string;
  bytes: number;
  /** Every change up to and including this sequence number is in the snapshot. */
  seq: number;
  takenAt: string;
  schemaVersion: number;
  writtenAt: string;
}

export type Manifest = SegmentManifest | SnapshotManifest;

const SEQ_DIGITS = 16;

export function padSeq(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

function uniqueId(): string {
  return randomBytes(6).toString('hex');
}

export function generationPrefix(generation: number): string {
  return `g${generation}/`;
}

export function blobKey(hash: string): string {
  return `blobs/${hash.slice(0, 2)}/${hash}`;
}

export function segmentKeys(generation: number, firstSeq: number, lastSeq: number): { object: string; manifest: string } {
  const name = `${padSeq(firstSeq)}-${padSeq(lastSeq)}-${uniqueId()}`;
  const base = generationPrefix(generation);
  return { object: `${base}segments/${name}.jsonl.gz`, manifest: `${base}manifests/segment-${name}.json` };
}

export function snapshotKeys(generation: number, seq: number): { object: string; manifest: string } {
  const name = `${padSeq(seq)}-${uniqueId()}`;
  const base = generationPrefix(generation);
  return { object: `${base}snapshots/${name}.sqlite.gz`, manifest: `${base}manifests/snapshot-${name}.json` };
}

export function sha256Of(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function encodeSegment(records: readonly SegmentRecord[]): Uint8Array {
  return gzipSync(records.map((record) => JSON.stringify(record)).join('\n') + '\n');
}

export function decodeSegment(data: Uint8Array): SegmentRecord[] {
  const text = gunzipSync(data).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as SegmentRecord);
}

export function encodeJson(value: unknown): Uint8Array {
  return Buffer.from(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
}

/** A record's position in the change log (an accounts record sits after its change). */
export function recordSeq(record: SegmentRecord): number {
  return record.type === 'accounts' ? record.afterSeq : record.seq;
}

export function parseHeader(data: Uint8Array): BackupHeader | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return `${HEADER_KEY} is not valid JSON`;
  }
  const header = value as Partial<BackupHeader> | null;
  if (header === null || typeof header !== 'object' || header.format !== BACKUP_FORMAT) return `${HEADER_KEY} is not a Holdfast backup header`;
  if (header.version !== BACKUP_FORMAT_VERSION) return `${HEADER_KEY} has format version ${String(header.version)}; this Holdfast reads version ${BACKUP_FORMAT_VERSION}`;
  if (typeof header.storeId !== 'string') return `${HEADER_KEY} names no store`;
  if (header.encryption !== null && !isEncryptionHeader(header.encryption)) return `${HEADER_KEY} names an encryption this Holdfast does not know`;
  return header as BackupHeader;
}

export function parseManifest(key: string, data: Uint8Array): Manifest | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString('utf8'));
  } catch {
    return `manifest ${key} is not valid JSON`;
  }
  const manifest = value as Partial<Manifest> | null;
  if (manifest === null || typeof manifest !== 'object' || manifest.format !== BACKUP_FORMAT) return `manifest ${key} is not a Holdfast manifest`;
  if (typeof manifest.object !== 'string' || typeof manifest.sha256 !== 'string' || typeof manifest.generation !== 'number') {
    return `manifest ${key} lacks its object, checksum or generation`;
  }
  if (manifest.kind === 'segment' && typeof manifest.firstSeq === 'number' && typeof manifest.lastSeq === 'number') return manifest as SegmentManifest;
  if (manifest.kind === 'snapshot' && typeof manifest.seq === 'number' && typeof manifest.takenAt === 'string') return manifest as SnapshotManifest;
  return `manifest ${key} is of no known kind`;
}
