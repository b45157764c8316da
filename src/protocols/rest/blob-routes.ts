// POST /api/v1/blobs/missing: which of these contents the signed-in user does not hold
// yet, by SHA-256, so a reinstalled phone uploads only what the server lacks. Answered
// for this user only: answering for the whole store would tell one user whether another
// holds a given file.
import type { FastifyInstance } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError } from '../../server/errors.ts';

export const MAX_HASHES_PER_REQUEST = 10_000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function hashesOf(body: unknown): string[] {
  const list = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { sha256?: unknown }).sha256 : undefined;
  if (!Array.isArray(list)) {
    throw new ApiError('bad-request', 'Send a JSON object { "sha256": ["<64 lowercase hex digits>", …] } listing the contents to ask about.');
  }
  if (list.length > MAX_HASHES_PER_REQUEST) {
    throw new ApiError('too-large', `Ask about at most ${MAX_HASHES_PER_REQUEST} hashes per request (this one has ${list.length}); split the list.`);
  }
  list.forEach((hash, index) => {
    if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) {
      throw new ApiError('bad-request', `sha256[${index}] is not a SHA-256 as 64 lowercase hex digits: ${JSON.stringify(hash)?.slice(0, 80)}.`);
    }
  });
  return list as string[];
}

export function registerBlobRoutes(app: FastifyInstance): void {
  app.post('/blobs/missing', async (request) => {
    const { userStore } = signedIn(request);
    const hashes = hashesOf(request.body);
    const held = await userStore.hasContent(hashes);
    // In the order asked, each once.
    return { missing: [...new Set(hashes)].filter((hash) => !held.has(hash)) };
  });
}
