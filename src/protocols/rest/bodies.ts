// The JSON bodies the API accepts. Strict: an unknown field is a 400, so a misspelt
// field is reported instead of ignored.
import { z } from 'zod';
import { COLLECTION_KINDS, COLLECTION_TEXT_LIMITS } from '../../store/types.ts';
import { ApiError } from '../../server/errors.ts';

const TEN_YEARS_SECONDS = 10 * 366 * 24 * 3600;

export const createTokenBody = z.strictObject({
  label: z.string().trim().min(1).max(100),
  ttlSeconds: z.number().int().min(60).max(TEN_YEARS_SECONDS).optional(),
});

export const putCollectionBody = z.strictObject({
  kind: z.enum(COLLECTION_KINDS),
  displayName: z.string().max(COLLECTION_TEXT_LIMITS.displayName).optional(),
  description: z.string().max(COLLECTION_TEXT_LIMITS.description).optional(),
  color: z.string().max(COLLECTION_TEXT_LIMITS.color).optional(),
  order: z.number().int().optional(),
});

export const restoreBody = z.strictObject({
  revision: z.string().min(1).max(255),
});

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `field "${issue.path.join('.')}"` : 'the body';
  if (issue.code === 'unrecognized_keys') return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  if (issue.code === 'invalid_value' && issue.values.length > 1) return `${where} must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
  return `${where}: ${issue.message}`;
}

/** The body as `schema` describes it, or a 400 that lists everything wrong with it. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null) {
    throw new ApiError('bad-request', 'This request needs a JSON object body (Content-Type: application/json).');
  }
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw new ApiError('bad-request', `The request body is not valid: ${parsed.error.issues.map(describeIssue).join('; ')}.`);
}
