// A small DAV client for tests: requests with any method against the harness's real server,
// and multistatus bodies read back with the server's own hardened parser.
import assert from 'node:assert/strict';
import { parseXml } from '../../src/protocols/dav/xml/parse-xml.ts';
import { NS, childElement, childElements, type XmlElement } from '../../src/protocols/dav/xml/xml-element.ts';
import type { Harness } from '../server/harness.ts';

export interface DavRequest {
  body?: string | Uint8Array;
  headers?: Record<string, string>;
  /** The Authorization header; alice's app password by default. */
  as?: string;
}

export function davRequest(server: Harness, method: string, path: string, request: DavRequest = {}): Promise<Response> {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: request.as ?? server.appPassword.alice, ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
    redirect: 'manual',
  });
}

export async function xmlBody(response: Response): Promise<XmlElement> {
  const text = await response.text();
  const parsed = parseXml(text);
  assert.equal(parsed.kind, 'ok', `the response is not well-formed XML: ${text}`);
  if (parsed.kind !== 'ok') throw new Error('unreachable');
  return parsed.root;
}

export interface PropResult {
  status: number;
  element: XmlElement;
}

export interface ResponseEntry {
  href: string;
  /** Property results by Clark name "{ns}name". */
  props: Map<string, PropResult>;
  status: number | null;
}

export async function multistatus(response: Response): Promise<ResponseEntry[]> {
  assert.equal(response.status, 207, `expected 207 Multi-Status, got ${response.status}`);
  const root = await xmlBody(response);
  assert.equal(root.name, 'multistatus');
  return childElements(root, NS.dav, 'response').map((entry) => {
    const props = new Map<string, PropResult>();
    for (const propstat of childElements(entry, NS.dav, 'propstat')) {
      const status = statusOf(childElement(propstat, NS.dav, 'status'));
      for (const element of childElement(propstat, NS.dav, 'prop')?.children ?? []) props.set(`{${element.ns}}${element.name}`, { status, element });
    }
    const own = childElement(entry, NS.dav, 'status');
    return { href: childElement(entry, NS.dav, 'href')?.text ?? '', props, status: own ? statusOf(own) : null };
  });
}

function statusOf(element: XmlElement | undefined): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(element?.text ?? '')?.[1] ?? 0);
}

/** The href inside a property such as current-user-principal. */
export function hrefIn(entry: ResponseEntry | undefined, property: string): string | undefined {
  const result = entry?.props.get(property);
  if (!result || result.status !== 200) return undefined;
  return childElement(result.element, NS.dav, 'href')?.text;
}

export const propfindBody = (...props: string[]): string =>
  `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:" xmlns:card="${NS.carddav}" xmlns:cal="${NS.caldav}" xmlns:cs="${NS.calendarServer}" xmlns:ical="${NS.apple}"><d:prop>${props.map((p) => `<${p}/>`).join('')}</d:prop></d:propfind>`;
