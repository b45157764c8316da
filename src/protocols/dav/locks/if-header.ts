// The WebDAV If header (RFC 4918 §10.4): lists of conditions on state tokens (lock tokens)
// and entity tags, optionally tagged with the resource they are about.
//
//   If: (<urn:uuid:…> ["etag"]) (Not <DAV:no-lock>)                 untagged lists
//   If: <http://host/dav/alice/f/a.txt> (<urn:uuid:…>) <…/b> (…)   tagged lists
//
// A list holds when every condition in it holds; the header holds when any list holds.
// Parsing and evaluation are pure: what a resource's state is comes from the caller.

export type IfCondition =
  | { not: boolean; kind: 'token'; token: string }
  | { not: boolean; kind: 'etag'; etag: string };

export interface IfList {
  /** The tagged resource (an absolute URL or path, as sent); null: the request URI. */
  resource: string | null;
  conditions: IfCondition[];
}

export type ParsedIf = { kind: 'ok'; lists: IfList[] } | { kind: 'invalid'; message: string };

/** What the evaluation needs to know of one resource. */
export interface ResourceState {
  /** True when this lock token names a lock that covers the resource. */
  hasLockToken(token: string): boolean;
  /** The resource's current entity tag (quoted), or null: it has none (missing, a collection). */
  etag: string | null;
}

export function parseIfHeader(header: string): ParsedIf {
  const lists: IfList[] = [];
  let position = 0;
  let tagged: boolean | null = null;
  let resource: string | null = null;
  const invalid = (what: string): ParsedIf => ({
    kind: 'invalid',
    message: `The If header is malformed at character ${position + 1}: ${what}. It must be lists of conditions such as (<lock-token> ["etag"]), each optionally after a <resource> tag (RFC 4918 §10.4).`,
  });
  const skipSpace = (): void => {
    while (position < header.length && /[ \t\r\n]/.test(header[position] ?? '')) position += 1;
  };
  /** The text up to the closing character, or null when it never closes. */
  const until = (close: string): string | null => {
    const end = header.indexOf(close, position);
    if (end < 0) return null;
    const text = header.slice(position, end);
    position = end + 1;
    return text;
  };

  skipSpace();
  if (position >= header.length) return invalid('it is empty');
  while (position < header.length) {
    const char = header[position];
    if (char === '<') {
      // A resource tag: only in a header made of tagged lists, and followed by a list.
      if (tagged === false) return invalid('a resource tag follows untagged lists');
      position += 1;
      const tag = until('>');
      if (tag === null || tag.trim() === '' || /\s/.test(tag)) return invalid('a resource tag is not a single URL inside < >');
      tagged = true;
      resource = tag;
      skipSpace();
      if (header[position] !== '(') return invalid('a resource tag is not followed by a list in ( )');
    } else if (char === '(') {
      if (tagged === null) tagged = false;
      position += 1;
      const conditions: IfCondition[] = [];
      for (;;) {
        skipSpace();
        if (header[position] === ')') {
          position += 1;
          break;
        }
        if (position >= header.length) return invalid('a list is not closed with )');
        let not = false;
        // Conditions start with < or [, so a leading "Not" cannot be mistaken for anything else.
        if (header.slice(position, position + 3).toLowerCase() === 'not') {
          not = true;
          position += 3;
          skipSpace();
        }
        const open = header[position];
        if (open === '<') {
          position += 1;
          const token = until('>');
          if (token === null || token === '' || /\s/.test(token)) return invalid('a state token is not a single URI inside < >');
          conditions.push({ not, kind: 'token', token });
        } else if (open === '[') {
          position += 1;
          const etag = until(']')?.trim();
          if (etag === undefined || !/^(W\/)?"[^"]*"$/.test(etag)) return invalid('an entity tag is not a quoted tag inside [ ]');
          conditions.push({ not, kind: 'etag', etag });
        } else {
          return invalid(`a condition must be <state-token> or [etag], optionally after Not, not "${open ?? ''}"`);
        }
      }
      if (conditions.length === 0) return invalid('a list holds no condition');
      lists.push({ resource: tagged ? resource : null, conditions });
    } else {
      return invalid(`expected a list in ( ) or a resource tag in < >, not "${char ?? ''}"`);
    }
    skipSpace();
  }
  return { kind: 'ok', lists };
}

/** Every state token the header names: the lock tokens "submitted" with the request (§10.4.1). */
export function submittedTokens(lists: IfList[]): Set<string> {
  const tokens = new Set<string>();
  for (const list of lists) for (const condition of list.conditions) if (condition.kind === 'token') tokens.add(condition.token);
  return tokens;
}

/** True when any list holds for the state of the resource it is about. */
export function evaluateIf(lists: IfList[], stateOf: (resource: string | null) => ResourceState): boolean {
  return lists.some((list) => {
    const state = stateOf(list.resource);
    return list.conditions.every((condition) => {
      // Entity tags compare strongly: ours are strong, so a weak tag never matches.
      const holds = condition.kind === 'token' ? state.hasLockToken(condition.token) : state.etag !== null && condition.etag === state.etag;
      return holds !== condition.not;
    });
  });
}
