// Request bodies inside the DAV plugin arrive unread (see ./dav-plugin.ts): PUT streams
// them into the store, and the XML methods read them here, within a size limit, and parse
// them with the hardened parser.
import type { FastifyRequest } from 'fastify';
import { formatBytes } from '../../server/errors.ts';
import { davError, type DavErrorCode } from './dav-errors.ts';
import { DEFAULT_XML_LIMITS, parseXml } from './xml/parse-xml.ts';
import type { XmlElement } from './xml/xml-element.ts';

export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The whole body, refused with 413 past `maxBytes` (the rest is not read). */
export async function readBody(request: FastifyRequest, maxBytes: number, tooLargeCode: DavErrorCode = 'too-large'): Promise<Buffer> {
  if (!hasBody(request)) return Buffer.alloc(0);
  const tooLarge = () =>
    davError(tooLargeCode, `The request body is larger than the limit of ${formatBytes(maxBytes)} for this request; nothing was changed.`, { connection: 'close' });
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request.raw as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The body's root element, or null for an empty body; malformed XML is a 400. */
export async function readXmlBody(request: FastifyRequest, maxBytes: number = DEFAULT_XML_LIMITS.maxBytes): Promise<XmlElement | null> {
  const body = await readBody(request, maxBytes);
  if (body.length === 0 || body.toString('utf8').trim() === '') return null;
  const parsed = parseXml(body, { maxBytes });
  if (parsed.kind === 'invalid') throw davError('invalid-xml', `${capitalise(parsed.message)}. Nothing was changed.`);
  return parsed.root;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** True if the Content-Type (if any) says the body is XML. */
export function isXmlContentType(request: FastifyRequest): boolean {
  const type = request.headers['content-type'];
  if (type === undefined) return true;
  const essence = type.split(';')[0]?.trim().toLowerCase() ?? '';
  return essence === 'application/xml' || essence === 'text/xml' || essence.endsWith('+xml');
}
