// The one place where a DAV failure becomes a status, a precondition element and a body.
// Handlers throw `davError(code, message)`; the plugin's error handler (installed in
// ./dav-plugin.ts) sends it as `<d:error>` with the precondition element named by the
// code (RFC 4918 §16) and a readable `<hf:message>`. Errors from sign-in and from Fastify
// itself (body too large, bad Content-Length) arrive as ApiErrors and are sent the same way.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, sendError, toApiError } from '../../server/errors.ts';
import { isClientAbort } from '../../server/request-log.ts';
import { NS } from './xml/xml-element.ts';
import { el, serializeXml, type XmlOut } from './xml/write-xml.ts';

interface ErrorKind {
  status: number;
  /** The precondition or postcondition element the body names, if the standard has one. */
  condition?: { ns: string; name: string };
}

export const DAV_ERRORS = {
  'bad-request': { status: 400 },
  'invalid-xml': { status: 400 },
  unauthenticated: { status: 401 },
  forbidden: { status: 403 },
  'propfind-finite-depth': { status: 403, condition: { ns: NS.dav, name: 'propfind-finite-depth' } },
  'cannot-modify-protected-property': { status: 403, condition: { ns: NS.dav, name: 'cannot-modify-protected-property' } },
  'same-resource': { status: 403 },
  'valid-resourcetype': { status: 403, condition: { ns: NS.dav, name: 'valid-resourcetype' } },
  'valid-sync-token': { status: 403, condition: { ns: NS.dav, name: 'valid-sync-token' } },
  'supported-report': { status: 403, condition: { ns: NS.dav, name: 'supported-report' } },
  // CardDAV (RFC 6352 §6.3.2.1, §8.6) and CalDAV (RFC 4791 §5.3.2.1, §7.7) preconditions.
  'addressbook-collection-location-ok': { status: 403, condition: { ns: NS.carddav, name: 'addressbook-collection-location-ok' } },
  'calendar-collection-location-ok': { status: 403, condition: { ns: NS.caldav, name: 'calendar-collection-location-ok' } },
  'valid-address-data': { status: 403, condition: { ns: NS.carddav, name: 'valid-address-data' } },
  'supported-address-data': { status: 403, condition: { ns: NS.carddav, name: 'supported-address-data' } },
  'address-no-uid-conflict': { status: 409, condition: { ns: NS.carddav, name: 'no-uid-conflict' } },
  'address-supported-filter': { status: 403, condition: { ns: NS.carddav, name: 'supported-filter' } },
  'address-supported-collation': { status: 403, condition: { ns: NS.carddav, name: 'supported-collation' } },
  'valid-calendar-data': { status: 403, condition: { ns: NS.caldav, name: 'valid-calendar-data' } },
  'valid-calendar-object-resource': { status: 403, condition: { ns: NS.caldav, name: 'valid-calendar-object-resource' } },
  'supported-calendar-component': { status: 403, condition: { ns: NS.caldav, name: 'supported-calendar-component' } },
  'supported-calendar-data': { status: 403, condition: { ns: NS.caldav, name: 'supported-calendar-data' } },
  'calendar-no-uid-conflict': { status: 409, condition: { ns: NS.caldav, name: 'no-uid-conflict' } },
  'calendar-supported-filter': { status: 403, condition: { ns: NS.caldav, name: 'supported-filter' } },
  'calendar-supported-collation': { status: 403, condition: { ns: NS.caldav, name: 'supported-collation' } },
  'calendar-valid-filter': { status: 403, condition: { ns: NS.caldav, name: 'valid-filter' } },
  // Larger than the collection's max-resource-size (RFC 6352 §6.2.3, RFC 4791 §5.2.5): 413,
  // the specific status, with the precondition the client can read.
  'address-max-resource-size': { status: 413, condition: { ns: NS.carddav, name: 'max-resource-size' } },
  'calendar-max-resource-size': { status: 413, condition: { ns: NS.caldav, name: 'max-resource-size' } },
  'not-found': { status: 404 },
  'method-not-allowed': { status: 405 },
  /** The parent collection is missing, or the resource cannot exist where it was asked for. */
  conflict: { status: 409 },
  'precondition-failed': { status: 412 },
  // Locks (RFC 4918 §16): a write without the token of a lock on what it changes, a LOCK
  // that conflicts with a lock held, an UNLOCK whose token is not a lock on the URL.
  locked: { status: 423, condition: { ns: NS.dav, name: 'lock-token-submitted' } },
  'no-conflicting-lock': { status: 423, condition: { ns: NS.dav, name: 'no-conflicting-lock' } },
  'lock-token-matches-request-uri': { status: 409, condition: { ns: NS.dav, name: 'lock-token-matches-request-uri' } },
  'too-large': { status: 413 },
  'unsupported-media-type': { status: 415 },
  'range-not-satisfiable': { status: 416 },
  'rate-limited': { status: 429 },
  /** The write would take the user over their quota (RFC 4331 §6). */
  'over-quota': { status: 507, condition: { ns: NS.dav, name: 'quota-not-exceeded' } },
  /** The server's disk is full (RFC 4918 §11.5): nothing of the write was kept. */
  'insufficient-storage': { status: 507 },
  internal: { status: 500 },
  'content-damaged': { status: 500 },
  'not-implemented': { status: 501 },
  /** A COPY or MOVE whose Destination is on another server. */
  'bad-gateway': { status: 502 },
  'shutting-down': { status: 503 },
} as const satisfies Record<string, ErrorKind>;

export type DavErrorCode = keyof typeof DAV_ERRORS;

export class DavError extends Error {
  readonly code: DavErrorCode;
  readonly headers: Record<string, string>;
  /** What goes inside the condition element (no-uid-conflict names the other resource). */
  readonly conditionContent: XmlOut[];

  constructor(code: DavErrorCode, message: string, headers: Record<string, string> = {}, conditionContent: XmlOut[] = []) {
    super(message);
    this.name = 'DavError';
    this.code = code;
    this.headers = headers;
    this.conditionContent = conditionContent;
  }

  get status(): number {
    return DAV_ERRORS[this.code].status;
  }
}

export function davError(code: DavErrorCode, message: string, headers: Record<string, string> = {}, conditionContent: XmlOut[] = []): DavError {
  return new DavError(code, message, headers, conditionContent);
}

/** The REST API's error codes, seen from DAV: same status, no DAV condition. */
function fromApiError(error: ApiError): DavError {
  const code: DavErrorCode = error.code === 'invalid-name' || error.code === 'invalid-json' ? 'bad-request' : error.code === 'conflict' ? 'conflict' : error.code;
  return new DavError(code, error.message, error.headers);
}

export function errorBody(error: DavError): string {
  const kind: ErrorKind = DAV_ERRORS[error.code];
  const children: XmlOut[] = [];
  if (kind.condition) children.push(el(kind.condition.ns, kind.condition.name, error.conditionContent));
  children.push(el(NS.holdfast, 'message', [error.message]));
  return serializeXml(el(NS.dav, 'error', children), { declaration: true });
}

export function sendDavError(reply: FastifyReply, error: DavError): FastifyReply {
  const body = errorBody(error);
  return reply
    .code(error.status)
    .headers(error.headers)
    .header('content-type', 'application/xml; charset=utf-8')
    .send(body);
}

export function createDavErrorHandler(maxBodyBytes: number) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (error instanceof DavError) return sendDavError(reply, error);
    const apiError = toApiError(error, maxBodyBytes);
    if (apiError) {
      if (apiError.status >= 500) request.log.error({ err: error }, apiError.message);
      return sendDavError(reply, fromApiError(apiError));
    }
    if (isClientAbort(request, error)) return reply;
    request.log.error({ err: error }, `request failed: ${request.method} ${request.url}`);
    return sendDavError(
      reply,
      davError('internal', `The server failed while answering this request. The server log has the details under request id ${request.id}.`),
    );
  };
}

/**
 * Fastify's `frameworkErrors` option: the router refuses a URL it cannot decode (a "%" not
 * followed by two hex digits, or escapes that are not UTF-8, such as %FF) before any route,
 * sign-in or error handler runs. Under /dav/ (and at "/", where discovery starts) the
 * answer is a DAV error body like every other; elsewhere the API's JSON error.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.raw.url?.split('?')[0] ?? '';
  const message =
    error.code === 'FST_ERR_BAD_URL'
      ? `The URL ${JSON.stringify(path.slice(0, 200))} is not valid percent-encoded UTF-8: every "%" must start an escape such as %20 or %C3%A9, ` +
        'and the escapes must spell UTF-8. Write a literal "%" as %25. Nothing was changed.'
      : `The URL was refused: ${error.message}. Nothing was changed.`;
  if (path === '/' || path === '/dav' || path.startsWith('/dav/') || path.startsWith('/.well-known/')) {
    sendDavError(reply, davError('bad-request', message));
    return;
  }
  sendError(reply, new ApiError('bad-request', message));
}
