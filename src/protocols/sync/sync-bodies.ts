// The JSON bodies the sync API accepts. Strict, like the rest of /api/v1: a misspelt
// field is a 400 that names it, and nothing is changed.
import { z } from 'zod';
import { COLLECTION_KINDS } from '../../store/types.ts';

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

export const resolveBody = z.strictObject({
  /** true: the losing side becomes the head again; false: the winner stays. */
  restore: z.boolean(),
});
