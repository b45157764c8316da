// Decoding and parsing shared by vCard and iCalendar (../caldav uses it too): both are
// content lines (RFC 5545 §3.1, RFC 6350 §3.2) that ical.js parses into one tree type.

import ICAL from 'ical.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a body as strict UTF-8 (a BOM is tolerated), or says why it cannot. */
export function decodeUtf8(body: Buffer | string): { kind: 'ok'; text: string } | { kind: 'invalid'; message: string } {
  if (typeof body === 'string') return { kind: 'ok', text: body.replace(/^\uFEFF/, '') };
  try {
    // TextDecoder drops a leading BOM by default, which is what parsing wants.
    return { kind: 'ok', text: strictUtf8.decode(body) };
  } catch {
    return { kind: 'invalid', message: 'the body is not valid UTF-8; send vCard and iCalendar data encoded as UTF-8.' };
  }
}

/** Parses text as a jCard/jCal tree; ical.js throws on malformed content lines. */
export function parseComponents(text: string): { kind: 'ok'; components: ICAL.Component[] } | { kind: 'invalid'; message: string } {
  let parsed: unknown;
  try {
    parsed = ICAL.parse(text);
  } catch (error) {
    return { kind: 'invalid', message: error instanceof Error ? error.message : String(error) };
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return { kind: 'ok', components: [] };
  // ICAL.parse returns one jCal array for one component and an array of them for several.
  const list: unknown[] = typeof parsed[0] === 'string' ? [parsed] : parsed;
  return { kind: 'ok', components: list.map((jCal) => new ICAL.Component(jCal as unknown[])) };
}
