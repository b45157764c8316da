// The CALDAV:time-range element (RFC 4791 §9.9) and the instants it bounds. Times are kept
// as milliseconds since the epoch, UTC; an absent bound is -Infinity or +Infinity, so every
// overlap test is plain number comparison.

import type { XmlElement } from '../xml/xml-element.ts';

export interface TimeRange {
  /** Inclusive start, ms since the epoch; -Infinity when the element has no start. */
  start: number;
  /** Exclusive end, ms since the epoch; +Infinity when the element has no end. */
  end: number;
}

export type TimeRangeParse = { kind: 'ok'; range: TimeRange } | { kind: 'invalid'; message: string };

const utcDateTime = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/**
 * Reads a UTC date-time in the iCalendar basic form, YYYYMMDDTHHMMSSZ (RFC 4791 §9.9 allows
 * no other), or says what is wrong with it.
 */
export function parseUtcDateTime(value: string): { kind: 'ok'; ms: number } | { kind: 'invalid'; message: string } {
  const match = utcDateTime.exec(value.trim());
  if (!match) {
    return { kind: 'invalid', message: `"${value}" is not a UTC date-time; write it as YYYYMMDDTHHMMSSZ, e.g. 20240115T000000Z.` };
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Date.UTC rolls 20240231 over to 2 March; a calendar date that does not exist is an error.
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 || minute > 59 || second > 60) {
    return { kind: 'invalid', message: `"${value}" is not a real date and time.` };
  }
  return { kind: 'ok', ms };
}

/**
 * Reads a time-range element's start and end attributes. At least one must be present
 * (RFC 4791 §9.9), and the start must come before the end.
 */
export function parseTimeRange(element: XmlElement): TimeRangeParse {
  const startText = element.attributes['start'];
  const endText = element.attributes['end'];
  if (startText === undefined && endText === undefined) {
    return { kind: 'invalid', message: 'time-range needs a start attribute, an end attribute, or both.' };
  }
  let start = -Infinity;
  let end = Infinity;
  if (startText !== undefined) {
    const parsed = parseUtcDateTime(startText);
    if (parsed.kind === 'invalid') return { kind: 'invalid', message: `time-range start: ${parsed.message}` };
    start = parsed.ms;
  }
  if (endText !== undefined) {
    const parsed = parseUtcDateTime(endText);
    if (parsed.kind === 'invalid') return { kind: 'invalid', message: `time-range end: ${parsed.message}` };
    end = parsed.ms;
  }
  if (start >= end) {
    return { kind: 'invalid', message: `time-range start ${startText ?? ''} is not before its end ${endText ?? ''}.` };
  }
  return { kind: 'ok', range: { start, end } };
}

/**
 * Whether a span overlaps a range, in the form RFC 4791 §9.9 uses for VEVENT: a span with
 * a length overlaps when start < spanEnd and end > spanStart; an instant (spanEnd equal to
 * spanStart) overlaps when start <= spanStart and end > spanStart.
 */
export function overlaps(range: TimeRange, spanStart: number, spanEnd: number): boolean {
  if (spanEnd > spanStart) return range.start < spanEnd && range.end > spanStart;
  return range.start <= spanStart && range.end > spanStart;
}
