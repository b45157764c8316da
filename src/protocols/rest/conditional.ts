// HTTP conditional requests (RFC 9110 §13) over the store's preconditions. An ETag is the
// quoted revision id of the item's head, except in a file tree (collections of kind
// 'files'), where it is the content's hash, "sha256-<base64url>": two copies of the same bytes
// share it, so a WebDAV client that moves or re-uploads a file sees it unchanged. Either
// form names the head an If-Match is checked against. The store checks a precondition in
// the same transaction as the write, so every header is turned into one store
// precondition (a revision id) rather than checked here and written later (which would race).
import type { IncomingHttpHeaders } from 'node:http';
import type { CollectionKind, Item, Precondition, Revision } from '../../store/types.ts';
import { ApiError } from '../../server/errors.ts';

const HASH_TAG_PREFIX = 'sha256-';

/** The hash as it appears in an ETag: base64url, not hex, because WebDAV clients copy ETags
 * into fixed-size If headers (litmus's is 200 bytes, and two hex hashes and a lock token
 * do not fit). The full hash, so it stays a strong validator. */
export function hashTagValue(contentHash: string): string {
  return HASH_TAG_PREFIX + Buffer.from(contentHash, 'hex').toString('base64url');
}

/** The ETag of a revision as served from a collection of `kind` (REST: omit the kind). */
export function etagOf(revision: Revision, kind?: CollectionKind): string {
  if (kind === 'files' && revision.contentHash !== null) return `"${hashTagValue(revision.contentHash)}"`;
  return `"${revision.id}"`;
}

/** True when an entity tag's value (unquoted) names this revision, by id or by content hash. */
function tagNames(value: string, revision: Revision): boolean {
  return value === revision.id || (revision.contentHash !== null && value === hashTagValue(revision.contentHash));
}

/** A hash tag needs the current item to translate it into a revision id. */
const isHashTag = (value: string): boolean => value.startsWith(HASH_TAG_PREFIX);

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

function describeCurrent(item: Item | null, kind: CollectionKind | undefined): string {
  if (!item) return 'the item does not exist';
  if (item.deleted) return 'the item is in the trash';
  return `its current ETag is ${etagOf(item.head, kind)}`;
}

/**
 * The store precondition for a write carrying these headers. `current` is looked up only
 * for headers the store cannot check by itself (`If-Match: *`, several ETags, or
 * `If-None-Match` with ETags, or a content-hash ETag); the result still pins the exact
 * revision seen, so a write that raced in between makes the store answer
 * `precondition-failed`. `kind` only chooses how messages spell the current ETag.
 */
export async function writePrecondition(
  headers: IncomingHttpHeaders,
  current: () => Promise<Item | null>,
  kind?: CollectionKind,
): Promise<Precondition> {
  const ifMatch = parseEntityTags(headers['if-match'], 'If-Match');
  const ifNoneMatch = parseEntityTags(headers['if-none-match'], 'If-None-Match');
  if (ifMatch && ifNoneMatch) {
    throw new ApiError('bad-request', 'Send If-Match (to change a known version) or If-None-Match (to create), not both.');
  }

  if (ifMatch) {
    // If-Match uses strong comparison: a weak ETag never matches.
    const strong = ifMatch.kind === 'list' ? ifMatch.tags.filter((t) => !t.weak).map((t) => t.value) : [];
    const only = strong.length === 1 ? strong[0] : undefined;
    if (ifMatch.kind === 'list' && only !== undefined && !isHashTag(only)) return { kind: 'match', revisionId: only };
    const item = await current();
    const live = item && !item.deleted ? item : null;
    if (live && (ifMatch.kind === 'any' || strong.some((value) => tagNames(value, live.head)))) return { kind: 'match', revisionId: live.head.id };
    throw failed(`If-Match did not match: ${describeCurrent(item, kind)}. Fetch the item again and retry with its ETag.`);
  }

  if (ifNoneMatch) {
    if (ifNoneMatch.kind === 'any') return { kind: 'must-not-exist' };
    const item = await current();
    const live = item && !item.deleted ? item : null;
    if (!live) return { kind: 'must-not-exist' };
    if (ifNoneMatch.tags.some((t) => tagNames(t.value, live.head))) {
      throw failed(`If-None-Match matched the current version (${etagOf(live.head, kind)}), so nothing was changed.`);
    }
    return { kind: 'match', revisionId: live.head.id };
  }

  return { kind: 'none' };
}

/** For a GET: true if the client's copy (If-None-Match, weak comparison) is current. */
export function notModified(headers: IncomingHttpHeaders, head: Revision): boolean {
  const tags = parseEntityTags(headers['if-none-match'], 'If-None-Match');
  if (!tags) return false;
  return tags.kind === 'any' || tags.tags.some((t) => tagNames(t.value, head));
}

/** For a GET with If-Range (RFC 9110 §13.1.5): true if the range may be served, that is the
 * header names the current head by a strong ETag. A date, or a weak or other ETag, means
 * "send the whole content". */
export function rangeStillValid(header: string | undefined, head: Revision): boolean {
  if (header === undefined) return true;
  const match = /^\s*"([^"]*)"\s*$/.exec(header);
  return match?.[1] !== undefined && tagNames(match[1], head);
}

/** The message for a 412 the store reported (someone else wrote first). */
export function staleMessage(current: Revision | null, kind?: CollectionKind): string {
  if (!current) return 'The precondition failed: the item does not exist (it may have been deleted). Nothing was changed.';
  if (current.deleted) return 'The precondition failed: the item is in the trash. Nothing was changed.';
  return `The precondition failed: the item changed, its current ETag is ${etagOf(current, kind)}. Nothing was changed; fetch it again and retry.`;
}
