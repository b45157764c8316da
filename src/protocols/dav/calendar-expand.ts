// calendar-data with CALDAV:expand (RFC 4791 §9.6.5): a recurring event sent as one
// component per instance in the range, each with its RECURRENCE-ID, all times in UTC, and
// no RRULE, RDATE or EXDATE. The instances come from ./caldav/occurrences.ts, the same
// expansion that answers time-range queries, so what a query finds is what expand shows.
import ICAL from 'ical.js';
import { parseComponents } from './carddav/parse-content.ts';
import { timeProperty } from './caldav/epoch-time.ts';
import { expandInstances, recurrenceSets, type Instance } from './caldav/occurrences.ts';
import { parseTimeRange, type TimeRange } from './caldav/time-range.ts';
import { davError } from './dav-errors.ts';
import { NS, childElement, type XmlElement } from './xml/xml-element.ts';

/** The expand range asked for inside `<cal:calendar-data>` of a report's prop, if any. */
export function expandRangeOf(root: XmlElement): TimeRange | null {
  const data = childElement(childElement(root, NS.dav, 'prop') ?? root, NS.caldav, 'calendar-data');
  const expand = data ? childElement(data, NS.caldav, 'expand') : undefined;
  if (!expand) return null;
  const parsed = parseTimeRange(expand);
  if (parsed.kind === 'invalid') throw davError('bad-request', `The expand range is not usable: ${parsed.message}`);
  if (!Number.isFinite(parsed.range.start) || !Number.isFinite(parsed.range.end)) {
    throw davError('bad-request', 'CALDAV:expand needs both start and end (RFC 4791 §9.6.5).');
  }
  return parsed.range;
}

const RECURRENCE_PROPERTIES = ['rrule', 'rdate', 'exdate', 'exrule'];

function utcTime(ms: number, allDay: boolean): ICAL.Time {
  const time = ICAL.Time.fromJSDate(new Date(ms), true);
  if (allDay) time.isDate = true;
  return time;
}

function setTime(component: ICAL.Component, name: string, ms: number, allDay: boolean): void {
  component.removeAllProperties(name);
  const property = new ICAL.Property(name, component);
  property.setValue(utcTime(ms, allDay));
  component.addProperty(property);
}

function overlaps(instance: Instance, range: TimeRange): boolean {
  if (instance.start === undefined) return true;
  const end = instance.end ?? instance.due ?? instance.start;
  return instance.start < range.end && (end > range.start || (end === instance.start && instance.start >= range.start));
}

/** One component of an instance: the master's or the override's properties at the instance's time. */
function instanceComponent(instance: Instance, recurring: boolean): ICAL.Component {
  const component = new ICAL.Component(structuredClone(instance.component.jCal));
  for (const name of RECURRENCE_PROPERTIES) component.removeAllProperties(name);
  if (instance.start === undefined) return component;
  const hadEnd = component.getFirstProperty('dtend') !== null;
  const hadDue = component.getFirstProperty('due') !== null;
  setTime(component, 'dtstart', instance.start, instance.allDay);
  if (hadEnd && instance.end !== undefined) setTime(component, 'dtend', instance.end, instance.allDay);
  if (hadDue && instance.due !== undefined) setTime(component, 'due', instance.due, instance.allDay);
  if (recurring) {
    // An override keeps the instant it replaces; the master's instances are named by their start.
    const replaced = timeProperty(instance.component, 'recurrence-id', {});
    setTime(component, 'recurrence-id', replaced?.ms ?? instance.start, instance.allDay);
  }
  return component;
}

/** The calendar object with every recurring component expanded within `range`. */
export function expandCalendar(icsText: string, range: TimeRange): string {
  const parsed = parseComponents(icsText);
  if (parsed.kind === 'invalid') return icsText;
  const calendar = parsed.components.find((component) => component.name === 'vcalendar');
  if (!calendar) return icsText;
  const output = new ICAL.Component('vcalendar');
  for (const property of calendar.getAllProperties()) output.addProperty(property);
  for (const set of recurrenceSets(calendar)) {
    const recurring = set.overrides.length > 0 || (set.master !== undefined && RECURRENCE_PROPERTIES.some((name) => set.master?.getFirstProperty(name)));
    const instances = expandInstances(set, range).instances.filter((instance) => overlaps(instance, range));
    instances.sort((a, b) => (a.start ?? 0) - (b.start ?? 0));
    for (const instance of instances) output.addSubcomponent(instanceComponent(instance, recurring));
  }
  return output.toString().replace(/\r?\n/g, '\r\n') + '\r\n';
}
