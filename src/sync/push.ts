// Decides what becomes of each revision a device pushes (docs/sync.md, "Push"), then
// writes it through the store's importRevision, which re-checks the item's head inside
// its transaction: if another write moved the head in between, the decision is made again.
import { checkContent, needsContentCheck } from '../protocols/dav/content-rules.ts';
import { DavError } from '../protocols/dav/dav-errors.ts';
import type { UserStore } from '../store/store.ts';
import type { CollectionKind, ImportedContent, ImportFollowUp, ImportResult, Revision } from '../store/types.ts';
import { mergeContent } from './merge/merge-content.ts';
import { overQuotaMessage } from '../store/over-quota-message.ts';
import type { StagedBlobs } from './staged-blobs.ts';

export interface PushedRevision {
  id: string;
  collection: { path: string; kind: CollectionKind };
  item: string;
  baseRevisionId: string | null;
  deleted: boolean;
  /** Inline content, decoded from base64. */
  content?: Uint8Array;
  /** SHA-256 of the content: checks inline content, or names content uploaded or held. */
  contentHash?: string;
  contentType?: string;
  author: string;
  createdAt: string;
}

export const REFUSAL_REASONS = [
  'invalid-content',
  'bad-input',
  'stale-delete',
  'revision-id-taken',
  'content-missing',
  'content-hash-mismatch',
  'collection-kind-mismatch',
  'uid-conflict',
  'too-large',
  'earlier-refused',
  'over-quota',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type PushOutcome =
  | { result: 'applied'; head: Revision }
  | { result: 'already-applied'; head: Revision | null }
  | { result: 'merged'; head: Revision; mergedRevisionId: string }
  | { result: 'conflict'; head: Revision; winner: 'pushed' | 'server'; loserRevisionId: string; fields: string[] }
  | { result: 'refused'; reason: RefusalReason; message: string };

export interface PushContext {
  userStore: UserStore;
  userId: number;
  staged: StagedBlobs;
  maxContentBytes: number;
}

const SERVER_AUTHOR = 'sync:server';
const ATTEMPTS = 3;

const refused = (reason: RefusalReason, message: string): PushOutcome => ({ result: 'refused', reason, message });

async function readAll(source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The pushed content as the store takes it, or why it cannot be had. */
async function contentOf(ctx: PushContext, pushed: PushedRevision): Promise<ImportedContent | PushOutcome> {
  if (pushed.deleted) return { kind: 'none' };
  if (pushed.content !== undefined) {
    return { kind: 'bytes', source: pushed.content, ...(pushed.contentHash !== undefined ? { expectedHash: pushed.contentHash } : {}) };
  }
  const hash = pushed.contentHash;
  if (hash === undefined) return refused('bad-input', 'A revision that is not a deletion needs "content" (base64) or "contentHash".');
  if (needsContentCheck(pushed.collection)) {
    return refused('bad-input', `Contacts, calendars and task lists are checked before they are stored: send their content inline ("content"), not by hash.`);
  }
  const staged = await ctx.staged.open(ctx.userId, hash);
  if (staged) return { kind: 'bytes', source: staged, expectedHash: hash };
  const held = await ctx.userStore.hasContent([hash]);
  if (held.has(hash)) return { kind: 'held', hash };
  return refused('content-missing', `No content with SHA-256 ${hash} was uploaded by you: PUT it to /api/v1/sync/blobs/${hash} first, then push again.`);
}

/** Validates vCard and iCalendar content; the UID the store keeps unique. */
function checked(kind: CollectionKind, contentType: string | undefined, bytes: Uint8Array): { contentType: string; uniqueKey?: string } | PushOutcome {
  try {
    return checkContent({ kind }, contentType, Buffer.from(bytes));
  } catch (error) {
    if (error instanceof DavError) return refused('invalid-content', error.message);
    throw error;
  }
}

async function contentBytes(userStore: UserStore, revisionId: string): Promise<Buffer | null> {
  const content = await userStore.readContent(revisionId);
  return content ? readAll(content.open()) : null;
}

/** How the pushed revision goes on top of `head` when its base is not the head. */
async function resolveDivergence(
  ctx: PushContext,
  pushed: PushedRevision,
  pushedBytes: Uint8Array | null,
  head: Revision,
): Promise<{ then: ImportFollowUp; fields: string[] } | PushOutcome> {
  // An edit the device made wins over a delete it never saw: nothing is lost, and the
  // tombstone stays in the history, marked.
  if (head.deleted) return { then: { kind: 'conflict-imported-wins' }, fields: ['deleted'] };
  // A device whose clock runs ahead must not win every conflict: a time in the future
  // counts as now.
  const pushedAt = pushed.createdAt < new Date().toISOString() ? pushed.createdAt : new Date().toISOString();
  const pushedIsLater = pushedAt > head.createdAt;
  const laterWins = (fields: string[]) => ({
    then: pushedIsLater ? ({ kind: 'conflict-imported-wins' } as const) : ({ kind: 'conflict-head-wins', author: SERVER_AUTHOR } as const),
    fields,
  });
  const base = pushed.baseRevisionId === null ? null : await ctx.userStore.getRevision(pushed.baseRevisionId);
  // A base this server never had (or another item's) leaves nothing to merge against.
  if (!base || base.itemId !== head.itemId || base.deleted || pushedBytes === null) return laterWins(['content']);
  const [baseBytes, headBytes] = await Promise.all([contentBytes(ctx.userStore, base.id), contentBytes(ctx.userStore, head.id)]);
  if (!baseBytes || !headBytes) return laterWins(['content']);
  const prefer = pushedIsLater ? 'theirs' : 'ours';
  const merged = mergeContent(pushed.collection.kind, { base: baseBytes, ours: headBytes, theirs: pushedBytes, prefer });
  if (merged.kind !== 'merged') return laterWins(merged.kind === 'conflict' ? merged.fields : ['content']);
  const contentType = head.contentType ?? pushed.contentType ?? null;
  let uniqueKey: string | undefined;
  if (needsContentCheck(pushed.collection)) {
    const valid = checked(pushed.collection.kind, contentType ?? undefined, merged.content);
    // A merge of two valid sides that is not valid itself: keep both sides whole instead.
    if ('result' in valid) return laterWins(['content']);
    uniqueKey = valid.uniqueKey;
  }
  return { then: { kind: 'merged', content: merged.content, contentType, author: SERVER_AUTHOR, ...(uniqueKey !== undefined ? { uniqueKey } : {}) }, fields: [] };
}

function fromImport(result: Exclude<ImportResult, { kind: 'head-moved' }>, pushed: PushedRevision, fields: string[]): PushOutcome {
  switch (result.kind) {
    case 'written': {
      const head = result.followUp ?? result.revision;
      if (result.followUp && !result.conflict) return { result: 'merged', head, mergedRevisionId: result.followUp.id };
      if (result.conflict) {
        const winner = result.conflict.revisionId === pushed.id ? 'server' : 'pushed';
        return { result: 'conflict', head, winner, loserRevisionId: result.conflict.revisionId, fields };
      }
      return { result: 'applied', head };
    }
    case 'unchanged':
      return { result: 'already-applied', head: null };
    case 'revision-id-taken':
      return refused('revision-id-taken', `The revision id "${pushed.id}" is already used for other content; make a new globally unique id (a UUID) for this revision.`);
    case 'content-not-held':
      return refused('content-missing', `You hold no content with SHA-256 ${pushed.contentHash ?? ''}; upload it to /api/v1/sync/blobs/ first.`);
    case 'content-hash-mismatch':
      return refused('content-hash-mismatch', `The content's SHA-256 is ${result.actual}, not the "contentHash" sent; nothing was stored.`);
    case 'collection-kind-mismatch':
      return refused('collection-kind-mismatch', `The collection "${result.collection.path}" holds ${result.collection.kind}, not ${pushed.collection.kind}.`);
    case 'too-large':
      return refused('too-large', `The content is larger than the limit of ${result.limit} bytes; nothing was stored.`);
    case 'over-quota':
      return refused('over-quota', overQuotaMessage(result));
    case 'key-conflict':
      return refused('uid-conflict', `"${result.existingName}" in "${pushed.collection.path}" already holds the same UID; push an edit of that item instead.`);
  }
}

export async function pushRevision(ctx: PushContext, pushed: PushedRevision): Promise<PushOutcome> {
  const known = await ctx.userStore.getRevision(pushed.id);
  if (known) {
    const collection = await ctx.userStore.getCollection(pushed.collection.path);
    if (collection?.id !== known.collectionId || known.itemName !== pushed.item) {
      return refused('revision-id-taken', `The revision id "${pushed.id}" belongs to another item; make a new globally unique id for this revision.`);
    }
    const item = await ctx.userStore.getItem(pushed.collection.path, pushed.item);
    return { result: 'already-applied', head: item?.head ?? null };
  }
  let contentType = pushed.contentType ?? (pushed.deleted ? null : 'application/octet-stream');
  let uniqueKey: string | undefined;
  const pushedBytes = pushed.content ?? null;
  if (!pushed.deleted && needsContentCheck(pushed.collection) && pushedBytes) {
    const valid = checked(pushed.collection.kind, pushed.contentType, pushedBytes);
    if ('result' in valid) return valid;
    contentType = valid.contentType;
    uniqueKey = valid.uniqueKey;
  }

  for (let attempt = 1; ; attempt += 1) {
    // Again on each attempt: staged content is a stream, read once.
    const content = await contentOf(ctx, pushed);
    if ('result' in content) return content;
    const item = await ctx.userStore.getItem(pushed.collection.path, pushed.item);
    const head = item?.head ?? null;
    let then: ImportFollowUp | undefined;
    let fields: string[] = [];
    const descends = head === null || head.id === pushed.baseRevisionId || (pushed.baseRevisionId === null && head.deleted);
    if (!descends) {
      if (pushed.deleted) {
        return refused(
          'stale-delete',
          `"${pushed.item}" was changed since the revision this deletion was made from (its head is now ${head.id}); nothing was deleted. Pull, and delete again if it should still go.`,
        );
      }
      const divergence = await resolveDivergence(ctx, pushed, pushedBytes, head);
      if ('result' in divergence) return divergence;
      ({ then, fields } = divergence);
    }
    const result = await ctx.userStore.importRevision({
      collection: pushed.collection.path,
      collectionKind: pushed.collection.kind,
      name: pushed.item,
      revisionId: pushed.id,
      parentId: pushed.baseRevisionId,
      expectedHeadId: head?.id ?? null,
      deleted: pushed.deleted,
      content,
      contentType,
      author: pushed.author,
      createdAt: pushed.createdAt,
      maxBytes: ctx.maxContentBytes,
      ...(uniqueKey !== undefined ? { uniqueKey } : {}),
      ...(then ? { then } : {}),
    });
    if (result.kind !== 'head-moved') {
      if (result.kind === 'written' && pushed.contentHash !== undefined && pushed.content === undefined) {
        await ctx.staged.remove(ctx.userId, pushed.contentHash);
      }
      return fromImport(result, pushed, fields);
    }
    if (attempt >= ATTEMPTS) {
      throw new Error(`the item "${pushed.item}" kept changing while revision ${pushed.id} was pushed (${ATTEMPTS} attempts)`);
    }
  }
}
