// A pull cursor: where a device is in its user's part of the change log, and on which
// server. Opaque to devices (they store and send it back), but it carries the store id and
// generation so the server can tell a cursor it issued from one it cannot honour.
import type { StoreIdentity } from '../store/types.ts';

const PREFIX = 'c1.';

export interface CursorPosition {
  storeId: string;
  generation: number;
  sequence: number;
}

export function encodeCursor(position: CursorPosition): string {
  return PREFIX + Buffer.from(JSON.stringify([position.storeId, position.generation, position.sequence]), 'utf8').toString('base64url');
}

/** The position a cursor holds, or null if it is not one this server could have made. */
export function decodeCursor(cursor: string): CursorPosition | null {
  if (!cursor.startsWith(PREFIX) || cursor.length > 512) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor.slice(PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) return null;
  const [storeId, generation, sequence] = parsed as unknown[];
  if (typeof storeId !== 'string' || storeId.length === 0) return null;
  if (!Number.isSafeInteger(generation) || !Number.isSafeInteger(sequence) || (sequence as number) < 0) return null;
  return { storeId, generation: generation as number, sequence: sequence as number };
}

/** Why this server cannot continue from `position`, or null if it can. */
export function forgotten(position: CursorPosition, identity: StoreIdentity): 'other-store' | 'other-generation' | 'ahead' | null {
  if (position.storeId !== identity.storeId) return 'other-store';
  if (position.generation !== identity.generation) return 'other-generation';
  if (position.sequence > identity.sequence) return 'ahead';
  return null;
}
