// HTTP conditional requests (RFC 9110 §13) over the store's preconditions. An ETag is the
// quoted revision id of the item's head. The store checks a precondition in the same
// transaction as the write, so every header is turned into one store precondition rather
// than checked here and written later (which would race).
import type { IncomingHttpHeaders } from 'node:http';
import type { Item, Precondition, Revision } from '../../store/types.ts';
import { ApiError } from '../../server/errors.ts';

export function etagOf(revision: Revision): string {
  return `"${revision.id}"`;
}

type EntityTags = { kind: 'any' } | { kind: 'list'; tags: { weak: boolean; value: string }[] };

/** Parses `*` or a list of entity tags; null when the header is absent. */
export function parseEntityTags(header: string | undefined, name: string): EntityTags | null {
  if (header === undefined) return null;
  const text = header.trim();
  if (text === '*') return { kind: 'any' };
  const tags: { weak: boolean; value: string }[] = [];
  const pattern = /\s*(W\/)?"([^"]*)"\s*(,|$)/gy;
  let match: RegExpExecArray | null;
  while (pattern.lastIndex < text.length && (match = pattern.exec(text)) !== null) {
    tags.push({ weak: match[1] !== undefined, value: match[2] ?? '' });
  }
  if (tags.length === 0 || pattern.lastIndex < text.length) {
    throw new ApiError('bad-request', `The ${name} header must be * or a list of quoted ETags such as "<revision id>", as returned in the ETag header.`);
  }
  return { kind: 'list', tags };
}

const failed = (message: string): ApiError => new ApiError('precondition-failed', message);

function describeCurrent(item: Item | null): string {
  if (!item) return 'the item does not exist';
  if (item.deleted) return 'the item is in the trash';
  return `its current ETag is ${etagOf(item.head)}`;
}

/**
 * The store precondition for a write carrying these headers. `current` is looked up only
 * for headers the store cannot check by itself (`If-Match: *`, several ETags, or
 * `If-None-Match` with ETags); the result still pins the exact revision seen, so a write
 * that raced in between makes the store answer `precondition-failed`.
 */
export async function writePrecondition(headers: IncomingHttpHeaders, current: () => Promise<Item | null>): Promise<Precondition> {
  const ifMatch = parseEntityTags(headers['if-match'], 'If-Match');
  const ifNoneMatch = parseEntityTags(headers['if-none-match'], 'If-None-Match');
  if (ifMatch && ifNoneMatch) {
    throw new ApiError('bad-request', 'Send If-Match (to change a known version) or If-None-Match (to create), not both.');
  }

  if (ifMatch) {
    // If-Match uses strong comparison: a weak ETag never matches.
    const strong = ifMatch.kind === 'list' ? ifMatch.tags.filter((t) => !t.weak).map((t) => t.value) : [];
    if (ifMatch.kind === 'list' && strong.length === 1 && strong[0] !== undefined) return { kind: 'match', revisionId: strong[0] };
    const item = await current();
    const live = item && !item.deleted ? item : null;
    if (live && (ifMatch.kind === 'any' || strong.includes(live.head.id))) return { kind: 'match', revisionId: live.head.id };
    throw failed(`If-Match did not match: ${describeCurrent(item)}. Fetch the item again and retry with its ETag.`);
  }

  if (ifNoneMatch) {
    if (ifNoneMatch.kind === 'any') return { kind: 'must-not-exist' };
    const item = await current();
    const live = item && !item.deleted ? item : null;
    if (!live) return { kind: 'must-not-exist' };
    if (ifNoneMatch.tags.some((t) => t.value === live.head.id)) {
      throw failed(`If-None-Match matched the current version (${etagOf(live.head)}), so nothing was changed.`);
    }
    return { kind: 'match', revisionId: live.head.id };
  }

  return { kind: 'none' };
}

/** For a GET: true if the client's copy (If-None-Match, weak comparison) is current. */
export function notModified(headers: IncomingHttpHeaders, head: Revision): boolean {
  const tags = parseEntityTags(headers['if-none-match'], 'If-None-Match');
  if (!tags) return false;
  return tags.kind === 'any' || tags.tags.some((t) => t.value === head.id);
}

/** The message for a 412 the store reported (someone else wrote first). */
export function staleMessage(current: Revision | null): string {
  if (!current) return 'The precondition failed: the item does not exist (it may have been deleted). Nothing was changed.';
  if (current.deleted) return 'The precondition failed: the item is in the trash. Nothing was changed.';
  return `The precondition failed: the item changed, its current ETag is ${etagOf(current)}. Nothing was changed; fetch it again and retry.`;
}
