// The DAV URL layout, both ways: request paths (and Destination headers) to what they
// name, and resources to the hrefs a response carries.
//
//   /dav/                      the root: where discovery from the bare server URL starts
//   /dav/principals/USER/      the user's principal
//   /dav/USER/                 the user's home (addressbook-home-set, calendar-home-set)
//   /dav/USER/A/B/…/ITEM       collections (which may nest) and the items in them
import { nameProblem } from '../rest/names.ts';
import { davError } from './dav-errors.ts';

export const DAV_ROOT = '/dav/';
const PRINCIPALS = 'principals';

export type DavPath =
  | { kind: 'root' }
  | { kind: 'principal'; userName: string }
  | { kind: 'home'; userName: string }
  /** Something inside a home: a collection or an item, to be looked up in the store. */
  | { kind: 'member'; userName: string; segments: string[]; trailingSlash: boolean };

/** The path of a request or Destination (percent-encoded, without query), or a 4xx DavError. */
export function parseDavPath(rawPath: string): DavPath {
  if (rawPath.includes('#')) {
    throw davError('bad-request', 'The request URL contains "#"; a fragment is not part of a resource\'s address. Percent-encode it as %23 if it is part of a name.');
  }
  // iOS and DAVx5 start discovery with a PROPFIND on the bare server URL.
  if (rawPath === '/') return { kind: 'root' };
  if (rawPath !== '/dav' && !rawPath.startsWith(DAV_ROOT)) throw davError('not-found', `${rawPath} is not inside ${DAV_ROOT}.`);
  const rest = rawPath.slice(DAV_ROOT.length);
  const trailingSlash = rest === '' || rest.endsWith('/');
  const rawSegments = rest.split('/').filter((segment) => segment !== '');
  const segments = rawSegments.map(decodeSegment);
  const [first, second, ...more] = segments;
  if (first === undefined) return { kind: 'root' };
  if (first === PRINCIPALS) {
    if (second === undefined || more.length > 0) throw davError('not-found', `There is no principal at ${rawPath}; principals are at ${DAV_ROOT}${PRINCIPALS}/USER/.`);
    return { kind: 'principal', userName: second };
  }
  if (second === undefined) return { kind: 'home', userName: first };
  for (const [index, segment] of segments.entries()) {
    const problem = index === 0 ? null : nameProblem(segment);
    // Named as sent: a decoded name may hold characters a message cannot show (NUL).
    if (problem) throw davError('bad-request', `The name "${rawSegments[index] ?? segment}" in the URL is not usable: ${problem}.`);
  }
  return { kind: 'member', userName: first, segments: [second, ...more], trailingSlash };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw davError('bad-request', `The URL segment "${segment}" is not valid percent-encoded UTF-8.`);
  }
}

/** Percent-encodes a name for a path, leaving the characters a path segment may carry. */
export function encodeSegment(name: string): string {
  return encodeURIComponent(name).replace(/%(40|3A|24|26|2B|2C|3B|3D)/gi, (escaped) => decodeURIComponent(escaped));
}

export const hrefs = {
  root: (): string => DAV_ROOT,
  principal: (userName: string): string => `${DAV_ROOT}${PRINCIPALS}/${encodeSegment(userName)}/`,
  home: (userName: string): string => `${DAV_ROOT}${encodeSegment(userName)}/`,
  collection: (userName: string, path: string): string => `${hrefs.home(userName)}${path.split('/').map(encodeSegment).join('/')}/`,
  item: (userName: string, collectionPath: string, name: string): string => `${hrefs.collection(userName, collectionPath)}${encodeSegment(name)}`,
};

/**
 * The path a Destination header names: an absolute URL on this server, or an absolute path
 * (RFC 4918 §10.3). A URL on another host is a 502: this server cannot copy there.
 */
export function destinationPath(header: string | undefined, requestHost: string | undefined): string {
  if (header === undefined || header.trim() === '') throw davError('bad-request', 'COPY and MOVE need a Destination header naming where to put the resource.');
  const value = header.trim();
  if (value.startsWith('/')) return value.split('?')[0] ?? value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw davError('bad-request', `The Destination header "${value}" is neither an absolute URL nor an absolute path.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw davError('bad-gateway', `The Destination "${value}" is not an http(s) URL on this server.`);
  if (requestHost !== undefined && url.host.toLowerCase() !== requestHost.toLowerCase()) {
    throw davError('bad-gateway', `The Destination "${value}" is on another server (${url.host}); COPY and MOVE work only within this one.`);
  }
  // URL normalises "." and ".." segments away; a literal "#" was a fragment and is not sent.
  return url.pathname;
}
