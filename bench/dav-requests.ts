// What the DAV benchmark sends and how it reads the answers: realistic vCards, the request
// bodies of the REPORTs and PROPFIND that phones send, and a timed request that stops the
// clock at the last byte of the body. Multistatus answers are read with regular expressions:
// the server's own XML parser refuses documents of more than 20,000 elements, and a PROPFIND
// of 10,000 contacts holds about 70,000.
import type { BenchServer } from './dav-server.ts';

const GIVEN = ['Anna', 'Zoë', 'Łukasz', 'José', 'Åsa', 'Chloé', 'Mika', 'Nuño', 'Ravi', 'Mei'];
const FAMILY = ['Lovelace', 'Hopper', 'Noether', 'Turing', 'Curie', 'Ramanujan', 'Meitner', 'Franklin'];

export const uidOf = (index: number): string => `bench-contact-${String(index).padStart(6, '0')}-4d1c9a`;
export const itemName = (index: number): string => `${uidOf(index)}.vcf`;

/** A vCard 3.0 as an iPhone writes one (about 450 bytes), its own UID; `edit` changes a note. */
export function benchVCard(index: number, edit = 0): string {
  const given = `${GIVEN[index % GIVEN.length] ?? 'Anna'}`;
  const family = `${FAMILY[index % FAMILY.length] ?? 'Lovelace'}`;
  const number = String(index).padStart(6, '0');
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    'PRODID:-//Apple Inc.//iPhone OS 17.4//EN',
    `UID:${uidOf(index)}`,
    `N:${family};${given};;;`,
    `FN:${given} ${family}`,
    `ORG:Analytical Engines ${index % 97} Ltd;`,
    `TEL;type=CELL;type=VOICE;type=pref:+44 20 79${number}`,
    `EMAIL;type=INTERNET;type=HOME;type=pref:${given.toLowerCase()}.${number}@example.org`,
    `ADR;type=HOME;type=pref:;;${(index % 200) + 1} St James’s Square;London;;SW1Y 4JH;United Kingdom`,
    `BDAY:19${String(40 + (index % 60))}-0${(index % 9) + 1}-1${index % 10}`,
    ...(edit > 0 ? [`NOTE:edited by the benchmark (${edit})`] : []),
    `REV:2026-01-0${(edit % 9) + 1}T10:00:00Z`,
    'END:VCARD',
  ];
  return lines.map((line) => `${line}\r\n`).join('');
}

export const MKCOL_ADDRESS_BOOK =
  '<?xml version="1.0" encoding="utf-8"?><d:mkcol xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">' +
  '<d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>';

export const PROPFIND_ETAG_TYPE =
  '<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>';

export const syncCollectionBody = (token: string): string =>
  '<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:">' +
  `<d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`;

export const multigetBody = (hrefs: readonly string[]): string =>
  '<?xml version="1.0" encoding="utf-8"?><card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav">' +
  `<d:prop><d:getetag/><card:address-data/></d:prop>${hrefs.map((href) => `<d:href>${href}</d:href>`).join('')}</card:addressbook-multiget>`;

export interface TimedResponse {
  status: number;
  text: string;
  ms: number;
}

/** One request, timed from before fetch to the last byte of the body. */
export async function timedRequest(
  server: BenchServer,
  method: string,
  path: string,
  request: { body?: string; headers?: Record<string, string> } = {},
): Promise<TimedResponse> {
  const started = performance.now();
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: server.authorization, ...request.headers },
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  const text = await response.text();
  return { status: response.status, text, ms: performance.now() - started };
}

export interface MultistatusEntry {
  href: string;
  /** The first status inside the response (its propstat's, or its own). */
  status: number;
  hasAddressData: boolean;
}

const RESPONSE = /<(?:[\w-]+:)?response\b[^>]*>([\s\S]*?)<\/(?:[\w-]+:)?response>/g;
const HREF = /<(?:[\w-]+:)?href>([^<]*)<\/(?:[\w-]+:)?href>/;
const STATUS = /<(?:[\w-]+:)?status>HTTP\/1\.1 (\d{3})/;
const ADDRESS_DATA = /<(?:[\w-]+:)?address-data\b[^>]*>BEGIN:VCARD/;
const SYNC_TOKEN = /<(?:[\w-]+:)?sync-token>([^<]*)<\/(?:[\w-]+:)?sync-token>/;

export function multistatusEntries(text: string): MultistatusEntry[] {
  return [...text.matchAll(RESPONSE)].map(([, inner = '']) => ({
    href: HREF.exec(inner)?.[1] ?? '',
    status: Number(STATUS.exec(inner)?.[1] ?? 0),
    hasAddressData: ADDRESS_DATA.test(inner),
  }));
}

export function syncTokenIn(text: string): string {
  const token = SYNC_TOKEN.exec(text)?.[1];
  if (token === undefined) throw new Error(`a sync-collection answer without a sync-token: ${text.slice(0, 500)}`);
  return token;
}
