// The errors of the resumable-upload endpoint and their statuses, in one place. tus adds
// statuses the rest of the API never answers (410 for an expired upload, 423 while
// another PATCH holds the upload, 460 for a checksum mismatch), so they have their own
// table; the body has the API's usual shape, { "error": "<code>", "message": "<…>" }.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

export const TUS_ERROR_STATUS = {
  'bad-upload-request': 400,
  'upload-forbidden': 403,
  'upload-not-found': 404,
  'offset-mismatch': 409,
  'destination-conflict': 409,
  'upload-expired': 410,
  'unsupported-tus-version': 412,
  'upload-too-large': 413,
  'wrong-upload-media-type': 415,
  'upload-busy': 423,
  'checksum-mismatch': 460,
  'over-quota': 507,
} as const;

export type TusErrorCode = keyof typeof TUS_ERROR_STATUS;

export class TusError extends Error {
  readonly code: TusErrorCode;
  readonly headers: Record<string, string>;

  constructor(code: TusErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'TusError';
    this.code = code;
    this.headers = headers;
  }

  get status(): number {
    return TUS_ERROR_STATUS[this.code];
  }
}

/** The upload endpoint's error handler: its own errors here, everything else (sign-in,
 * I/O failures) to the server's handler, which a throw from here reaches. */
export function tusErrorHandler(error: FastifyError | TusError, _request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (!(error instanceof TusError)) throw error;
  return reply
    .code(error.status)
    .headers(error.headers)
    .type('application/json; charset=utf-8')
    .send({ error: error.code, message: error.message });
}
