// The query parameters of the photo library's paged lists: limit and cursor.
import { ApiError } from '../../server/errors.ts';
import { decodeCursor } from '../../photos/library-entries.ts';

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 500;

export function pageLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_PAGE;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new ApiError('bad-request', `limit must be a whole number from 1 to ${MAX_PAGE}; it was "${value}".`);
  }
  return limit;
}

export function cursorAfter(cursor: string | undefined): { at: number; path: string } | null {
  const decoded = decodeCursor(cursor);
  if (decoded.kind === 'invalid') throw new ApiError('bad-request', 'The cursor is not one this server gave out; start again without a cursor.');
  return decoded.after;
}
