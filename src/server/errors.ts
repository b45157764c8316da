// The one place where an error becomes an HTTP status. Handlers throw an ApiError naming a
// code and saying what went wrong and what to do; Fastify's own errors (body too large,
// bad JSON, bad media type) and unexpected failures are translated here too. Every error
// response has the same shape: { "error": "<code>", "message": "<…>" }.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ContentDamagedError } from '../store/content-damaged-error.ts';
import { StoreInputError } from '../store/names.ts';
import { DISK_FULL_MESSAGE, isDiskFull } from '../store/disk-full.ts';
import { isClientAbort } from './request-log.ts';

export const ERROR_STATUS = {
  'bad-request': 400,
  'invalid-name': 400,
  'invalid-json': 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'precondition-failed': 412,
  'too-large': 413,
  'unsupported-media-type': 415,
  'rate-limited': 429,
  /** The write would take the user over their quota. */
  'over-quota': 507,
  /** The server's disk (or SQLite's) is full: nothing of the write was kept. */
  'insufficient-storage': 507,
  internal: 500,
  'content-damaged': 500,
  'shutting-down': 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: ErrorCode;
  message: string;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  /** Extra response headers (WWW-Authenticate, Retry-After, ETag…). */
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.headers = headers;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export function formatBytes(bytes: number): string {
  const units = [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const;
  for (const [unit, size] of units) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size} ${unit}`;
  }
  return `${bytes} bytes`;
}

export function tooLarge(limit: number): ApiError {
  return new ApiError(
    'too-large',
    `The request body is larger than the limit of ${formatBytes(limit)} (${limit} bytes); nothing was stored. ` +
      'The limit is the maxBodyBytes setting (HOLDFAST_MAX_BODY_BYTES).',
    // The rest of the body is not read: end the connection rather than drain it.
    { connection: 'close' },
  );
}

/** Translates anything thrown on the way to a response into a status and an ErrorBody. */
export function toApiError(error: unknown, maxBodyBytes: number): ApiError | undefined {
  if (error instanceof ApiError) return error;
  // The store's last-line input checks; protocol adapters validate first, so reaching
  // this means an adapter let something through, but the client still deserves a 400.
  if (error instanceof StoreInputError) return new ApiError('bad-request', `The request was refused: ${error.message}.`);
  // Stored content that failed its hash check or went missing: never served as good.
  if (error instanceof ContentDamagedError) {
    return new ApiError(
      'content-damaged',
      'The stored content of this version failed its integrity check, so it was not sent. The server log names the damaged file; ' +
        'the operator should restore it from a backup. Older versions may be intact: see the item\'s history.',
    );
  }
  // The rest of the body may be unread: end the connection rather than drain it.
  if (isDiskFull(error)) return new ApiError('insufficient-storage', DISK_FULL_MESSAGE, { connection: 'close' });
  if (!isFastifyError(error)) return undefined;
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge(maxBodyBytes);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError('invalid-json', 'The request says it carries JSON but its body is empty; send a JSON object.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('unsupported-media-type', 'This endpoint takes a JSON body: send it with Content-Type: application/json.');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ApiError('bad-request', 'The Content-Length header does not match the body that was sent.');
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new ApiError('bad-request', 'The Content-Type header is not valid.');
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new ApiError('invalid-json', `The request body is not valid JSON: ${error.message}`);
  }
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
    return new ApiError('bad-request', error.message);
  }
  return undefined;
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && ('code' in error || 'statusCode' in error);
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  const body: ErrorBody = { error: error.code, message: error.message };
  return reply.code(error.status).headers(error.headers).type('application/json; charset=utf-8').send(body);
}

export function installErrorHandlers(app: FastifyInstance, maxBodyBytes: number): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const apiError = toApiError(error, maxBodyBytes);
    if (apiError) {
      if (apiError.status >= 500) request.log.error({ err: error }, apiError.message);
      return sendError(reply, apiError);
    }
    // The client hung up mid-request (onRequestAbort logged it): nobody to answer.
    if (isClientAbort(request, error)) return reply;
    // A bug or an I/O failure (disk full, database error): the detail goes to the log, not
    // to the client, and the request id ties the two together.
    request.log.error({ err: error }, `request failed: ${request.method} ${request.url}`);
    return sendError(
      reply,
      new ApiError('internal', `The server failed while answering this request. The server log has the details under request id ${request.id}.`),
    );
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, new ApiError('not-found', `There is no ${request.method} ${request.url.split('?')[0]}; the HTTP API is described in docs/http-api.md.`)),
  );
}
