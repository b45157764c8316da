// CALDAV:expand (RFC 4791 §9.6.5): calendar-data in which each recurrence set is replaced
// by the instances that overlap a range, one component per instance, every time in UTC.
//
// The instances come from ./occurrences.ts (the same expansion, EXDATEs, overrides and
// instance cap as calendar-query) and are kept when they overlap the range by RFC 4791
// §9.9's rules. Each is written as a copy of the component it comes from (the master, or
// the override that replaces it) with:
// - DTSTART, DTEND and DUE moved to the instance and written in UTC; DATE values stay
//   DATEs, moved by whole days; DURATION is kept as it is;
// - RECURRENCE-ID set to the instance's original start (an override keeps its own, in UTC);
//   a component that does not recur gets none;
// - RRULE, RDATE, EXDATE and EXRULE removed, and any other time that names a TZID written
//   in UTC, so the VTIMEZONE components can be dropped.
// An expansion that reaches MAX_INSTANCES_EXAMINED returns the instances found until then.

import ICAL from 'ical.js';
import { parseComponents } from '../carddav/parse-content.ts';
import type { XmlElement } from '../xml/xml-element.ts';
import { epochMs, timeProperty, tzidOf, type ZoneOptions } from './epoch-time.ts';
import { expandInstances, recurrenceSets, type Instance, type RecurrenceSet } from './occurrences.ts';
import { parseUtcDateTime, type TimeRange } from './time-range.ts';
import { instanceOverlaps } from './instance-overlaps.ts';

export type ExpandRangeParse = { kind: 'ok'; range: TimeRange } | { kind: 'invalid'; message: string };

const DAY_MS = 24 * 60 * 60 * 1000;

/** Properties that make a component recur; none of them survives expansion. */
const recurrenceProperties = ['rrule', 'rdate', 'exdate', 'exrule'];

/** Reads a CALDAV:expand element: start and end are both required, in UTC, start before end. */
export function parseExpandRange(element: XmlElement): ExpandRangeParse {
  const bounds: Record<'start' | 'end', number> = { start: 0, end: 0 };
  for (const name of ['start', 'end'] as const) {
    const text = element.attributes[name];
    if (text === undefined) {
      return { kind: 'invalid', message: `expand needs a ${name} attribute (RFC 4791 §9.6.5 requires both start and end), e.g. ${name}="20240115T000000Z".` };
    }
    const parsed = parseUtcDateTime(text);
    if (parsed.kind === 'invalid') return { kind: 'invalid', message: `expand ${name}: ${parsed.message}` };
    bounds[name] = parsed.ms;
  }
  if (bounds.start >= bounds.end) {
    return { kind: 'invalid', message: `expand start ${element.attributes['start'] ?? ''} is not before its end ${element.attributes['end'] ?? ''}.` };
  }
  return { kind: 'ok', range: bounds };
}

/**
 * The calendar object `icsText` with its recurrence sets expanded into the instances that
 * overlap `range`, as a VCALENDAR with CRLF line ends folded at 75 octets. The VCALENDAR's
 * own properties (VERSION, PRODID, …) are kept. Floating times are read in
 * `options.floatingTimeZone` (the calendar's time zone), or as UTC. Text that ical.js cannot
 * parse or decode is returned unchanged: it is the stored object, and nothing better can be
 * said about it.
 */
export function expandCalendarData(icsText: string, range: TimeRange, options: ZoneOptions = {}): string {
  const parsed = parseComponents(icsText);
  const calendar = parsed.kind === 'ok' ? parsed.components.find((component) => component.name === 'vcalendar') : undefined;
  if (!calendar) return icsText;
  try {
    return serialize(expandCalendar(calendar, range, options));
  } catch {
    return icsText;
  }
}

function expandCalendar(calendar: ICAL.Component, range: TimeRange, options: ZoneOptions): ICAL.Component {
  const result = new ICAL.Component('vcalendar');
  for (const property of calendar.getAllProperties()) result.addProperty(new ICAL.Property(structuredClone(property.jCal)));
  for (const set of recurrenceSets(calendar)) {
    const master = set.master;
    const recurs = set.overrides.length > 0 || (master !== undefined && (master.hasProperty('rrule') || master.hasProperty('rdate')));
    const instances = expandInstances(set, range, options)
      .instances.filter((instance) => instanceOverlaps(range, instance, options))
      .sort((a, b) => (a.start ?? -Infinity) - (b.start ?? -Infinity));
    for (const instance of instances) result.addSubcomponent(instanceComponent(instance, set, recurs, options));
  }
  return result;
}

/** One instance as a component of its own: see the header for what changes. */
function instanceComponent(instance: Instance, set: RecurrenceSet, recurs: boolean, options: ZoneOptions): ICAL.Component {
  const source = instance.component;
  const copy = new ICAL.Component(structuredClone(source.jCal));
  for (const name of recurrenceProperties) copy.removeAllProperties(name);
  const ownStart = timeProperty(source, 'dtstart', options);
  // Whole days between the component's DTSTART and this instance, for DATE values; DST
  // moves an instant by hours at most, so rounding gives the wall-clock days.
  const dayShift = ownStart && instance.start !== undefined ? Math.round((instance.start - ownStart.ms) / DAY_MS) : 0;
  moveTime(copy.getFirstProperty('dtstart'), instance.start, dayShift);
  if (source.name === 'vevent') moveTime(copy.getFirstProperty('dtend'), instance.end, dayShift);
  if (source.name === 'vtodo') moveTime(copy.getFirstProperty('due'), instance.due, dayShift);
  const recurrenceId = copy.getFirstProperty('recurrence-id');
  if (recurrenceId) moveTime(recurrenceId, timeProperty(source, 'recurrence-id', options)?.ms, 0);
  else if (recurs && source === set.master && instance.start !== undefined) {
    const property = new ICAL.Property('recurrence-id');
    const start = copy.getFirstPropertyValue('dtstart');
    property.setValue(start instanceof ICAL.Time && start.isDate ? start.clone() : utcTime(instance.start));
    copy.addProperty(property);
  }
  writeZonedTimesInUtc(copy, options);
  return copy;
}

function utcTime(ms: number): ICAL.Time {
  return ICAL.Time.fromJSDate(new Date(ms), true);
}

/** Sets a DATE or DATE-TIME property to an instance's time: a DATE moved by whole days, a DATE-TIME to `ms` in UTC. */
function moveTime(property: ICAL.Property | null, ms: number | undefined, dayShift: number): void {
  if (!property) return;
  const value: unknown = property.getFirstValue();
  if (!(value instanceof ICAL.Time)) return;
  if (value.isDate) {
    const moved = value.clone();
    moved.adjust(dayShift, 0, 0, 0);
    property.setValue(moved);
  } else if (ms !== undefined) property.setValue(utcTime(ms));
  property.removeParameter('tzid');
}

/** Rewrites in UTC every remaining time that names a TZID (in the component and its VALARMs), since no VTIMEZONE is returned. */
function writeZonedTimesInUtc(component: ICAL.Component, options: ZoneOptions): void {
  for (const property of component.getAllProperties()) {
    const tzid = tzidOf(property);
    if (tzid === undefined) continue;
    const values = (property.getValues() as unknown[]).map((value) =>
      value instanceof ICAL.Time && !value.isDate ? utcTime(epochMs(value, tzid, options)) : value,
    );
    property.setValues(values);
    property.removeParameter('tzid');
  }
  for (const child of component.getAllSubcomponents()) writeZonedTimesInUtc(child, options);
}

/**
 * iCalendar text with CRLF line ends, each line folded to at most 75 octets counting the
 * leading space of a continuation (ical.js's own folding allows 76), never inside a
 * character's UTF-8 sequence.
 */
function serialize(calendar: ICAL.Component): string {
  const lines = calendar.toString().replace(/\r\n[ \t]/g, '').split('\r\n');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

function foldLine(line: string): string {
  const parts: string[] = [];
  let part = '';
  let octets = 0;
  let limit = 75;
  for (const char of line) {
    const size = Buffer.byteLength(char);
    if (octets + size > limit) {
      parts.push(part);
      part = '';
      octets = 0;
      limit = 74;
    }
    part += char;
    octets += size;
  }
  parts.push(part);
  return parts.join('\r\n ');
}
