// The 207 Multi-Status body (RFC 4918 §13): one <response> per resource, and within it one
// <propstat> per status, so a client sees which properties were found and which were not.
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { dav, serializeXml, type XmlOut } from './xml/write-xml.ts';

export function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

/** A <response> with properties grouped by status (200 first). */
export function propstatResponse(href: string, byStatus: Map<number, XmlOut[]>, description?: string): XmlOut {
  const propstats = [...byStatus.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, props]) => dav('propstat', [dav('prop', props), dav('status', [statusLine(status)])]));
  return dav('response', [dav('href', [href]), ...propstats, ...(description ? [dav('responsedescription', [description])] : [])]);
}

/** A <response> that carries only a status for the resource itself. */
export function statusResponse(href: string, status: number, description?: string): XmlOut {
  return dav('response', [dav('href', [href]), dav('status', [statusLine(status)]), ...(description ? [dav('responsedescription', [description])] : [])]);
}

/** `trailing` follows the responses (sync-collection's sync-token). */
export function sendMultistatus(reply: FastifyReply, responses: XmlOut[], trailing: XmlOut[] = []): FastifyReply {
  return reply
    .code(207)
    .header('content-type', 'application/xml; charset=utf-8')
    .send(serializeXml(dav('multistatus', [...responses, ...trailing]), { declaration: true }));
}
