// The JSON bodies the sync API accepts. Strict, like the rest of /api/v1: a misspelt
// field is a 400 that names it, and nothing is changed.
import { z } from 'zod';
import { COLLECTION_KINDS, COLLECTION_TEXT_LIMITS } from '../../store/types.ts';

export const MAX_PUSH_REVISIONS = 100;
export const MAX_MISSING_IDS = 1000;

const REVISION_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const revisionId = z.string().regex(REVISION_ID, 'must be 8 to 128 letters, digits, ".", "_", ":" or "-"');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 as 64 lowercase hex digits');

export const pushedRevisionBody = z.strictObject({
  id: revisionId,
  collection: z.strictObject({ path: z.string().min(1).max(4096), kind: z.enum(COLLECTION_KINDS) }),
  item: z.string().min(1).max(255),
  baseRevisionId: revisionId.nullable(),
  deleted: z.boolean(),
  content: z.base64().optional(),
  contentHash: sha256.optional(),
  contentType: z.string().min(1).max(255).optional(),
  author: z.string().min(1).max(200),
  createdAt: z.iso.datetime({ offset: true }),
});

export const pushBody = z.strictObject({
  revisions: z.array(pushedRevisionBody).min(1).max(MAX_PUSH_REVISIONS),
});

export const missingBody = z.strictObject({
  revisionIds: z.array(z.string().min(1).max(128)).max(MAX_MISSING_IDS),
});

export const MAX_IMPORTED_CONFLICTS = 1000;

/** Conflict marks a device kept, as GET /conflicts listed them (a heal puts them back). */
export const importConflictsBody = z.strictObject({
  conflicts: z
    .array(z.strictObject({ revisionId: z.string().min(1).max(128), winnerRevisionId: z.string().min(1).max(128), at: z.iso.datetime({ offset: true }) }))
    .max(MAX_IMPORTED_CONFLICTS),
});

export const resolveBody = z.strictObject({
  /** true: the losing side becomes the head again; false: the winner stays. */
  restore: z.boolean(),
});

export const MAX_PUSH_COLLECTIONS = 100;

// The same limits as a PROPPATCH of the display properties and the JSON API.
const displayText = (max: number) => z.string().max(max, `must be at most ${max} characters`).nullable().optional();

export const collectionPropsPatchBody = z.strictObject({
  displayName: displayText(COLLECTION_TEXT_LIMITS.displayName),
  description: displayText(COLLECTION_TEXT_LIMITS.description),
  color: displayText(COLLECTION_TEXT_LIMITS.color),
  order: z.number().int().min(-999_999_999).max(999_999_999).nullable().optional(),
  extra: z
    .record(z.string().min(1).max(512), z.string().max(64 * 1024, 'must be at most 65536 characters').nullable())
    .refine((extra) => Object.keys(extra).length <= 100, 'may hold at most 100 properties')
    .optional(),
});

export const pushedCollectionBody = z.strictObject({
  path: z.string().min(1).max(4096),
  kind: z.enum(COLLECTION_KINDS),
  props: collectionPropsPatchBody,
  /** Set only the properties the collection lacks (a heal): what the server has stays. */
  onlyMissing: z.boolean().optional(),
  /** Move the collection, with everything in it, to the trash (props are then ignored). */
  deleted: z.boolean().optional(),
});

export const collectionsBody = z.strictObject({
  collections: z.array(pushedCollectionBody).min(1).max(MAX_PUSH_COLLECTIONS),
});
