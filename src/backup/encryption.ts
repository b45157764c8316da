// Optional encryption of a backup with a passphrase. Every object but the header is
// sealed with AES-256-GCM under a key derived from the passphrase with scrypt (memory-hard:
// 128 MiB per guess), with a random 96-bit nonce per object and the object's name as
// associated data, so an object cannot be swapped for another without failing to open.
// The salt, the scrypt parameters and a sealed check value live in the header, so a wrong
// passphrase is told apart from damage before anything is read.
//
// Blob names stay the SHA-256 of the plain content: someone with the target can test
// whether it holds a file they already have, but learns nothing of the rest.
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import type { BackupObjectInfo, BackupTarget } from './target.ts';

export const PASSPHRASE_ENV = 'HOLDFAST_BACKUP_PASSPHRASE';

export interface EncryptionHeader {
  cipher: 'aes-256-gcm';
  kdf: 'scrypt';
  /** base64 */
  salt: string;
  N: number;
  r: number;
  p: number;
  /** CHECK_TEXT sealed under the key (as object CHECK_KEY), base64. */
  check: string;
}

const MAGIC = Buffer.from('HFE1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const CHECK_KEY = 'key-check';
const CHECK_TEXT = Buffer.from('holdfast backup key check');
const SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/** An object that does not open with the key: damaged, or sealed with another key. */
export class SealedObjectError extends Error {
  constructor(key: string) {
    super(`${key} fails its authentication check (it is damaged, or was written with another passphrase)`);
    this.name = 'SealedObjectError';
  }
}

function deriveKey(passphrase: string, header: Pick<EncryptionHeader, 'salt' | 'N' | 'r' | 'p'>): Buffer {
  return scryptSync(passphrase.normalize('NFC'), Buffer.from(header.salt, 'base64'), 32, {
    N: header.N,
    r: header.r,
    p: header.p,
    maxmem: 256 * header.N * header.r + 1024 * 1024,
  });
}

function seal(key: Buffer, name: string, data: Uint8Array): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  const body = Buffer.concat([cipher.update(data), cipher.final()]);
  return Buffer.concat([MAGIC, nonce, body, cipher.getAuthTag()]);
}

function open(key: Buffer, name: string, data: Uint8Array): Buffer {
  const sealed = Buffer.from(data);
  if (sealed.length < MAGIC.length + NONCE_BYTES + TAG_BYTES || !sealed.subarray(0, MAGIC.length).equals(MAGIC)) throw new SealedObjectError(name);
  const nonce = sealed.subarray(MAGIC.length, MAGIC.length + NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(name, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(MAGIC.length + NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealedObjectError(name);
  }
}

async function* sealStream(key: Buffer, name: string, source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(name, 'utf8'));
  yield Buffer.concat([MAGIC, nonce]);
  for await (const chunk of source) yield cipher.update(chunk);
  yield Buffer.concat([cipher.final(), cipher.getAuthTag()]);
}

/** A new header for a passphrase: fresh salt, the key derived once, the check sealed. */
export function newEncryption(passphrase: string): { header: EncryptionHeader; key: Buffer } {
  const params = { salt: randomBytes(16).toString('base64'), ...SCRYPT };
  const key = deriveKey(passphrase, params);
  return { header: { cipher: 'aes-256-gcm', kdf: 'scrypt', ...params, check: seal(key, CHECK_KEY, CHECK_TEXT).toString('base64') }, key };
}

/** The key for a header, or null if the passphrase is not the one it was made with. */
export function unlock(passphrase: string, header: EncryptionHeader): Buffer | null {
  const key = deriveKey(passphrase, header);
  try {
    return open(key, CHECK_KEY, Buffer.from(header.check, 'base64')).equals(CHECK_TEXT) ? key : null;
  } catch {
    return null;
  }
}

export function isEncryptionHeader(value: unknown): value is EncryptionHeader {
  const h = value as Partial<EncryptionHeader> | null;
  return (
    h !== null &&
    typeof h === 'object' &&
    h.cipher === 'aes-256-gcm' &&
    h.kdf === 'scrypt' &&
    typeof h.salt === 'string' &&
    typeof h.check === 'string' &&
    Number.isSafeInteger(h.N) &&
    Number.isSafeInteger(h.r) &&
    Number.isSafeInteger(h.p)
  );
}

/** The target seen through the key: objects are sealed on the way in and opened on the way
 * out. The header (`exempt`) passes through as it is. */
export function encryptedTarget(inner: BackupTarget, key: Buffer, exempt: string): BackupTarget {
  return {
    description: inner.description,
    async put(name: string, data: Uint8Array) {
      await inner.put(name, name === exempt ? data : seal(key, name, data));
    },
    async putStream(name: string, source: AsyncIterable<Uint8Array>) {
      await inner.putStream(name, name === exempt ? source : sealStream(key, name, source));
    },
    async get(name: string) {
      const data = await inner.get(name);
      return data === null || name === exempt ? data : open(key, name, data);
    },
    list: (prefix: string): Promise<BackupObjectInfo[]> => inner.list(prefix),
    head: (name: string) => inner.head(name),
    delete: (name: string) => inner.delete(name),
    close: () => inner.close(),
  };
}
