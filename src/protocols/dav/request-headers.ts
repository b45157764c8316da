// The DAV request headers: Depth and Overwrite (RFC 4918 §10).
import type { FastifyRequest } from 'fastify';
import { davError } from './dav-errors.ts';

/** A header's value; a header sent twice is read as one comma-separated list (RFC 9110 §5.3). */
export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export type Depth = 0 | 1 | 'infinity';

export function depthOf(request: FastifyRequest, absent: Depth): Depth {
  const header = headerValue(request, 'depth');
  if (header === undefined) return absent;
  const value = header.trim().toLowerCase();
  if (value === '0') return 0;
  if (value === '1') return 1;
  if (value === 'infinity') return 'infinity';
  throw davError('bad-request', `The Depth header must be 0, 1 or infinity, not "${header}".`);
}

export function overwriteOf(request: FastifyRequest): boolean {
  const header = headerValue(request, 'overwrite');
  if (header === undefined) return true;
  const value = header.trim().toUpperCase();
  if (value === 'T') return true;
  if (value === 'F') return false;
  throw davError('bad-request', `The Overwrite header must be T or F, not "${header}".`);
}
