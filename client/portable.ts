// What the SDK needs from the platform, written against the web platform so one build runs
// in a browser and on Node 20 (which has globalThis.crypto, btoa and atob): no Buffer, no
// node: imports anywhere in the SDK except the SQLite replica.

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX[byte];
  return hex;
}

/** The SHA-256 of bytes, in lowercase hex (the form content hashes take in the sync API). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // A copy into a plain ArrayBuffer: subtle.digest refuses a view on a SharedArrayBuffer.
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes.slice().buffer);
  return toHex(new Uint8Array(digest));
}

export function randomHex(byteCount: number): string {
  return toHex(globalThis.crypto.getRandomValues(new Uint8Array(byteCount)));
}

// btoa and atob work on "binary strings"; building one a chunk at a time keeps
// String.fromCharCode's argument list short for megabyte-sized content.
const CHUNK = 0x8000;

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let start = 0; start < bytes.length; start += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(start, start + CHUNK));
  }
  return btoa(binary);
}

export function fromBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Text as UTF-8, then base64: what HTTP Basic credentials are made of. */
export function utf8ToBase64(text: string): string {
  return toBase64(new TextEncoder().encode(text));
}
