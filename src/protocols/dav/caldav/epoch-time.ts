// Turns iCalendar times into UTC instants so that times in different zones compare.
//
// ical.js resolves a TZID against the VTIMEZONE components of the same VCALENDAR, which is
// what RFC 5545 asks clients to send and what iOS, macOS, Thunderbird, Evolution, Google
// and Outlook do send. Nothing is registered with ical.js's global TimezoneService: one
// user's definition of a TZID must not change how another user's events are read. Two
// cases are left, and this file settles both:
// - a TZID with no VTIMEZONE in the object (RFC 7809 lets clients leave out standard zones,
//   and some Android apps always do): if the TZID is an IANA name, Node's Intl knows its
//   rules and we use them;
// - floating times (no TZID, no Z), which mean "wall-clock time wherever you are": RFC 4791
//   §9.9 evaluates them in the calendar's time zone, which the caller passes in; without
//   one they are read as UTC.

import ICAL from 'ical.js';

export interface ZoneOptions {
  /** IANA name of the calendar's time zone (CALDAV:calendar-timezone), for floating times. */
  floatingTimeZone?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const formatters = new Map<string, Intl.DateTimeFormat | null>();

function formatterFor(zone: string): Intl.DateTimeFormat | null {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      // Not a zone name the runtime knows (e.g. Outlook's "W. Europe Standard Time").
      formatter = null;
    }
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Whether the runtime knows this IANA zone name. */
export function isKnownZone(zone: string): boolean {
  return formatterFor(zone) !== null;
}

/** The zone's offset from UTC at an instant, in ms. */
function offsetAt(instant: number, formatter: Intl.DateTimeFormat): number {
  const fields: Record<string, number> = {};
  for (const part of formatter.formatToParts(new Date(instant))) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const wall = Date.UTC(fields['year']!, fields['month']! - 1, fields['day'], fields['hour'], fields['minute'], fields['second']);
  return wall - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant at which a zone's wall clock shows the given time (given as if it were UTC).
 * RFC 5545 §3.3.5 settles the two awkward cases: a wall time that occurs twice (the hour
 * repeated when clocks go back) means the first of them, and one that never occurs (the
 * hour skipped when clocks go forward) is read with the offset from before the gap.
 */
function wallClockToEpoch(wall: number, zone: string): number {
  const formatter = formatterFor(zone);
  if (!formatter) return wall;
  // Transitions are months apart, so the offsets a day either side are the candidates.
  const before = wall - offsetAt(wall - DAY_MS, formatter);
  const after = wall - offsetAt(wall + DAY_MS, formatter);
  const valid = [before, after].filter((instant) => instant + offsetAt(instant, formatter) === wall);
  return valid.length > 0 ? Math.min(...valid) : before;
}

/** A transition of an ical.js Timezone: its instant as UTC fields and the offset after it (s). */
interface ZoneChange {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  utcOffset: number;
}

/**
 * The offset (ms) a VTIMEZONE gives at an instant. ical.js answers only for wall times, and
 * its convertToZone is off by the shift near a transition, so this reads the transitions
 * ical.js expanded (typed any[] in its declarations; stored in UTC, in order).
 */
function offsetAtInstant(zone: ICAL.Timezone, instant: number): number {
  zone._ensureCoverage(new Date(instant).getUTCFullYear() + 1);
  const changes = zone.changes as ZoneChange[];
  let offset = 0;
  for (const change of changes) {
    if (Date.UTC(change.year, change.month - 1, change.day, change.hour, change.minute, change.second) > instant) break;
    offset = change.utcOffset * 1000;
  }
  return offset;
}

/**
 * The instant of a time bound to a VTIMEZONE (or UTC). ical.js resolves a wall time that
 * occurs twice to the second occurrence and one in a spring-forward gap with the offset
 * from after it; RFC 5545 §3.3.5 asks for the first occurrence and the offset from before
 * the gap, as for IANA zones above, so the two candidates are settled the same way here.
 */
function zonedToEpoch(time: ICAL.Time, wall: number): number {
  const zone = time.zone;
  if (zone === ICAL.Timezone.utcTimezone || time.isDate) return time.toUnixTime() * 1000;
  const offsetAround = (days: number) => {
    const shifted = time.clone();
    shifted.adjust(days, 0, 0, 0);
    return zone.utcOffset(shifted) * 1000;
  };
  const before = wall - offsetAround(-1);
  const after = wall - offsetAround(1);
  if (before === after) return time.toUnixTime() * 1000;
  const valid = [before, after].filter((instant) => instant + offsetAtInstant(zone, instant) === wall);
  return valid.length > 0 ? Math.min(...valid) : before;
}

function isFloating(time: ICAL.Time): boolean {
  // ical.js gives floating times, and times whose TZID it could not resolve, its
  // "floating" local zone.
  return !time.zone || time.zone === ICAL.Timezone.localTimezone || time.zone.tzid === 'floating';
}

/**
 * The UTC instant of an iCalendar time, in ms. `tzid` is the TZID parameter the value was
 * written with, used when ical.js could not resolve it from a VTIMEZONE.
 */
export function epochMs(time: ICAL.Time, tzid: string | undefined, options: ZoneOptions = {}): number {
  const wall = Date.UTC(time.year, time.month - 1, time.day, time.hour, time.minute, time.second);
  if (!isFloating(time)) return zonedToEpoch(time, wall);
  if (tzid && isKnownZone(tzid)) return wallClockToEpoch(wall, tzid);
  if (options.floatingTimeZone && isKnownZone(options.floatingTimeZone)) return wallClockToEpoch(wall, options.floatingTimeZone);
  return wall;
}

/** The TZID parameter of a property, if it has one. */
export function tzidOf(property: ICAL.Property | null): string | undefined {
  const value: unknown = property?.getFirstParameter('tzid');
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The first value of a DATE or DATE-TIME property with its instant, or undefined. */
export function timeProperty(
  component: ICAL.Component,
  name: string,
  options: ZoneOptions,
): { time: ICAL.Time; ms: number; tzid: string | undefined } | undefined {
  const property = component.getFirstProperty(name);
  if (!property) return undefined;
  const value: unknown = property.getFirstValue();
  if (!(value instanceof ICAL.Time)) return undefined;
  const tzid = tzidOf(property);
  return { time: value, ms: epochMs(value, tzid, options), tzid };
}

/**
 * The IANA zone named by a CALDAV:calendar-timezone value (a VCALENDAR holding one
 * VTIMEZONE), for use as `floatingTimeZone`: its TZID when the runtime knows it (Apple,
 * Thunderbird and DAVx5 send IANA TZIDs), else its X-LIC-LOCATION (Google and older
 * Lightning), else undefined, and floating times stay UTC.
 */
export function zoneOfCalendarTimezone(vtimezoneText: string): string | undefined {
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(vtimezoneText) as unknown[]);
  } catch {
    return undefined;
  }
  const zone = calendar.name === 'vtimezone' ? calendar : calendar.getFirstSubcomponent('vtimezone');
  if (!zone) return undefined;
  for (const name of ['tzid', 'x-lic-location']) {
    const value: unknown = zone.getFirstPropertyValue(name);
    if (typeof value === 'string' && isKnownZone(value.trim())) return value.trim();
  }
  return undefined;
}
