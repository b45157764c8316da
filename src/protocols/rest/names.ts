// Collection and item names arrive in URLs. They become the last segment of a DAV URL
// and a file name on a phone, so only names every client can carry are accepted.
import { ApiError } from '../../server/errors.ts';

export const MAX_NAME_LENGTH = 255;

// C0 and C1 control characters, DEL, and the path separator.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/]/;
// Half of a UTF-16 surrogate pair (from a bad %-escape): such a name has no UTF-8 form.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The reason `name` cannot be used, or null if it can. */
export function nameProblem(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (LONE_SURROGATE.test(name)) return 'it is not valid Unicode';
  // Counted as the store counts (UTF-16 units), so a name accepted here is never refused there.
  if (name.length > MAX_NAME_LENGTH) return `it is longer than ${MAX_NAME_LENGTH} characters`;
  if (name === '.' || name === '..') return `"${name}" is reserved`;
  const bad = FORBIDDEN.exec(name);
  if (bad) {
    const char = bad[0] === '/' ? '"/"' : `the control character U+${bad[0].codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`;
    return `it contains ${char}`;
  }
  return null;
}

/** Returns the name, or throws a 400 that says what is wrong with it. */
export function checkName(what: 'collection' | 'item', name: string): string {
  const problem = nameProblem(name);
  if (problem) {
    throw new ApiError('invalid-name', `The ${what} name is not usable: ${problem}. Names are 1 to ${MAX_NAME_LENGTH} characters, without "/" or control characters, and not "." or "..".`);
  }
  return name;
}
