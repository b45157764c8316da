// The filter of a calendar-query REPORT (RFC 4791 §9.7): parsed once from the request into
// a plain value, then matched against each stored calendar object. Time ranges follow
// §9.9, with recurring components expanded (./occurrences.ts) and times compared as UTC
// instants (./epoch-time.ts).

import ICAL from 'ical.js';
import { parseComponents } from '../carddav/parse-content.ts';
import { parseTextMatch, textMatches, type TextMatch } from '../carddav/text-match.ts';
import { matchesParamFilter, type ParamFilter } from '../carddav/param-filter.ts';
import { NS, type XmlElement } from '../xml/xml-element.ts';
import { epochMs, tzidOf, timeProperty, type ZoneOptions } from './epoch-time.ts';
import { expandInstances, recurrenceSets, type Expansion, type Instance, type RecurrenceSet } from './occurrences.ts';
import { overlaps, parseTimeRange, type TimeRange } from './time-range.ts';
import { instanceOverlaps } from './instance-overlaps.ts';

/** The same param-filter CardDAV has. */
export type CalendarParamFilter = ParamFilter;

export interface CalendarPropFilter {
  /** Upper-case property name (SUMMARY, UID, ATTENDEE, …). */
  name: string;
  isNotDefined: boolean;
  timeRange?: TimeRange;
  textMatch?: TextMatch;
  paramFilters: CalendarParamFilter[];
}

export interface CompFilter {
  /** Upper-case component name (VCALENDAR, VEVENT, VTODO, VJOURNAL, VALARM, …). */
  name: string;
  isNotDefined: boolean;
  timeRange?: TimeRange;
  propFilters: CalendarPropFilter[];
  compFilters: CompFilter[];
}

/** A calendar-query filter: always one comp-filter for VCALENDAR at the top. */
export interface CalendarFilter {
  root: CompFilter;
}

export type CalendarFilterParse =
  | { kind: 'ok'; filter: CalendarFilter }
  | { kind: 'unsupported'; precondition: 'supported-filter' | 'supported-collation' | 'valid-filter'; message: string };

type Refusal = Extract<CalendarFilterParse, { kind: 'unsupported' }>;

const unsupported = (message: string): Refusal => ({ kind: 'unsupported', precondition: 'supported-filter', message });
const invalidFilter = (message: string): Refusal => ({ kind: 'unsupported', precondition: 'valid-filter', message });

function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'unsupported';
}

/** Components that time-range applies to (RFC 4791 §9.9). */
const timedComponents = new Set(['VEVENT', 'VTODO', 'VJOURNAL', 'VFREEBUSY', 'VALARM']);

function requireName(element: XmlElement): string | Refusal {
  const name = element.attributes['name']?.trim();
  if (!name) return invalidFilter(`${element.name} needs a name attribute naming the iCalendar component, property or parameter.`);
  return name.toUpperCase();
}

function parseTimeRangeElement(element: XmlElement): TimeRange | Refusal {
  const parsed = parseTimeRange(element);
  return parsed.kind === 'ok' ? parsed.range : invalidFilter(parsed.message);
}

function parseParamFilter(element: XmlElement): CalendarParamFilter | Refusal {
  const name = requireName(element);
  if (isRefusal(name)) return name;
  const filter: CalendarParamFilter = { name, isNotDefined: false };
  for (const child of element.children) {
    if (child.ns === NS.caldav && child.name === 'is-not-defined') filter.isNotDefined = true;
    else if (child.ns === NS.caldav && child.name === 'text-match') {
      const parsed = parseTextMatch(child, 'i;ascii-casemap');
      if (parsed.kind === 'unsupported') return parsed;
      filter.textMatch = parsed.textMatch;
    } else return unsupported(`param-filter may not contain {${child.ns}}${child.name}; use is-not-defined or text-match.`);
  }
  if (filter.isNotDefined && filter.textMatch) return invalidFilter('param-filter cannot hold both is-not-defined and text-match.');
  return filter;
}

function parsePropFilter(element: XmlElement): CalendarPropFilter | Refusal {
  const name = requireName(element);
  if (isRefusal(name)) return name;
  const filter: CalendarPropFilter = { name, isNotDefined: false, paramFilters: [] };
  for (const child of element.children) {
    if (child.ns !== NS.caldav) return unsupported(`prop-filter may not contain {${child.ns}}${child.name}.`);
    if (child.name === 'is-not-defined') filter.isNotDefined = true;
    else if (child.name === 'time-range') {
      const range = parseTimeRangeElement(child);
      if (isRefusal(range)) return range;
      filter.timeRange = range;
    } else if (child.name === 'text-match') {
      const parsed = parseTextMatch(child, 'i;ascii-casemap');
      if (parsed.kind === 'unsupported') return parsed;
      filter.textMatch = parsed.textMatch;
    } else if (child.name === 'param-filter') {
      const parsed = parseParamFilter(child);
      if (isRefusal(parsed)) return parsed;
      filter.paramFilters.push(parsed);
    } else return unsupported(`prop-filter may not contain ${child.name}; use is-not-defined, time-range, text-match or param-filter.`);
  }
  if (filter.timeRange && filter.textMatch) return invalidFilter(`prop-filter ${name} holds both time-range and text-match; RFC 4791 §9.7.2 allows one.`);
  if (filter.isNotDefined && (filter.timeRange || filter.textMatch || filter.paramFilters.length > 0)) {
    return invalidFilter(`prop-filter ${name} combines is-not-defined with other conditions.`);
  }
  return filter;
}

function parseCompFilter(element: XmlElement, depth: number): CompFilter | Refusal {
  const name = requireName(element);
  if (isRefusal(name)) return name;
  const filter: CompFilter = { name, isNotDefined: false, propFilters: [], compFilters: [] };
  for (const child of element.children) {
    if (child.ns !== NS.caldav) return unsupported(`comp-filter may not contain {${child.ns}}${child.name}.`);
    if (child.name === 'is-not-defined') filter.isNotDefined = true;
    else if (child.name === 'time-range') {
      if (!timedComponents.has(name)) {
        return invalidFilter(`time-range cannot apply to ${name}; it applies to ${[...timedComponents].join(', ')} (RFC 4791 §9.9).`);
      }
      if (filter.timeRange) return invalidFilter(`comp-filter ${name} holds more than one time-range.`);
      const range = parseTimeRangeElement(child);
      if (isRefusal(range)) return range;
      filter.timeRange = range;
    } else if (child.name === 'prop-filter') {
      const parsed = parsePropFilter(child);
      if (isRefusal(parsed)) return parsed;
      filter.propFilters.push(parsed);
    } else if (child.name === 'comp-filter') {
      // iCalendar nests two levels below VCALENDAR (VEVENT > VALARM); deeper is a mistake.
      if (depth >= 3) return invalidFilter('comp-filter elements nest deeper than iCalendar components do.');
      const parsed = parseCompFilter(child, depth + 1);
      if (isRefusal(parsed)) return parsed;
      filter.compFilters.push(parsed);
    } else return unsupported(`comp-filter may not contain ${child.name}; use is-not-defined, time-range, prop-filter or comp-filter.`);
  }
  if (filter.isNotDefined && (filter.timeRange || filter.propFilters.length > 0 || filter.compFilters.length > 0)) {
    return invalidFilter(`comp-filter ${name} combines is-not-defined with other conditions.`);
  }
  return filter;
}

/** Reads the CALDAV:filter element of a calendar-query. */
export function parseCalendarFilter(filter: XmlElement): CalendarFilterParse {
  if (filter.ns !== NS.caldav || filter.name !== 'filter') {
    return invalidFilter(`expected {${NS.caldav}}filter, got {${filter.ns}}${filter.name}.`);
  }
  const compFilters = filter.children.filter((child) => child.ns === NS.caldav && child.name === 'comp-filter');
  if (compFilters.length !== 1 || filter.children.length !== 1) {
    return invalidFilter('a calendar-query filter holds exactly one comp-filter, for VCALENDAR (RFC 4791 §9.7).');
  }
  const root = parseCompFilter(compFilters[0]!, 1);
  if (isRefusal(root)) return root;
  if (root.name !== 'VCALENDAR') return invalidFilter(`the top comp-filter must name VCALENDAR, not ${root.name}.`);
  return { kind: 'ok', filter: { root } };
}

// ---- matching ----

interface Context {
  sets: RecurrenceSet[];
  options: ZoneOptions;
  /** Expansions already made, by set and window: a master and its overrides share one. */
  expansions: Map<RecurrenceSet, Map<string, Expansion>>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The instances of one component (a master's occurrences, or an override's one) near a window. */
function instancesOf(component: ICAL.Component, context: Context, window: TimeRange): { instances: Instance[]; exhausted: boolean } {
  const set = context.sets.find((candidate) => candidate.master === component || candidate.overrides.includes(component));
  if (!set) return { instances: [], exhausted: false };
  let bySet = context.expansions.get(set);
  if (!bySet) context.expansions.set(set, (bySet = new Map<string, Expansion>()));
  const key = `${window.start}/${window.end}`;
  let expansion = bySet.get(key);
  if (!expansion) bySet.set(key, (expansion = expandInstances(set, window, context.options)));
  return { instances: expansion.instances.filter((instance) => instance.component === component), exhausted: expansion.exhausted };
}

/** VFREEBUSY overlaps through its DTSTART/DTEND or any FREEBUSY period. */
function freeBusyOverlaps(range: TimeRange, component: ICAL.Component, context: Context): boolean {
  const start = timeProperty(component, 'dtstart', context.options);
  const end = timeProperty(component, 'dtend', context.options);
  if (start && end && overlaps(range, start.ms, end.ms)) return true;
  return component.getAllProperties('freebusy').some((property) =>
    (property.getValues() as unknown[]).some((value) => {
      if (!(value instanceof ICAL.Period)) return false;
      const periodStart = epochMs(value.start, undefined, context.options);
      return overlaps(range, periodStart, epochMs(value.getEnd(), undefined, context.options));
    }),
  );
}

function componentOverlaps(range: TimeRange, component: ICAL.Component, context: Context): boolean {
  if (component.name === 'vfreebusy') return freeBusyOverlaps(range, component, context);
  const { instances, exhausted } = instancesOf(component, context, range);
  if (instances.some((instance) => instanceOverlaps(range, instance, context.options))) return true;
  // The expansion cap ran out before reaching the range: answer "may match", so a client
  // is shown the event rather than silently missing it.
  return exhausted;
}

function durationMs(value: unknown): number | undefined {
  return value instanceof ICAL.Duration ? value.toSeconds() * 1000 : undefined;
}

/** When a VALARM fires for the instances of its parent near a range (RFC 4791 §9.9, VALARM). */
function alarmOverlaps(range: TimeRange, alarm: ICAL.Component, parent: ICAL.Component, context: Context): boolean {
  const trigger = alarm.getFirstProperty('trigger');
  if (!trigger) return false;
  const value: unknown = trigger.getFirstValue();
  const repeat = Number(alarm.getFirstPropertyValue('repeat') ?? 0);
  const interval = durationMs(alarm.getFirstPropertyValue('duration')) ?? 0;
  const repeats = Number.isFinite(repeat) && repeat > 0 && interval > 0 ? Math.min(repeat, 1000) : 0;
  const fires = (first: number) => {
    for (let k = 0; k <= repeats; k++) {
      const at = first + k * interval;
      if (range.start <= at && range.end > at) return true;
    }
    return false;
  };
  if (value instanceof ICAL.Time) return fires(epochMs(value, tzidOf(trigger), context.options));
  const offset = durationMs(value);
  if (offset === undefined) return false;
  const relatedToEnd = String(trigger.getFirstParameter('related') ?? '').toUpperCase() === 'END';
  const reach = Math.abs(offset) + repeats * interval + DAY_MS;
  const window = { start: range.start - reach, end: range.end + reach };
  const { instances, exhausted } = instancesOf(parent, context, window);
  for (const instance of instances) {
    // RELATED=END is the end of an event and the DUE of a task.
    const base = relatedToEnd ? (parent.name === 'vtodo' ? instance.due : instance.end) : instance.start;
    if (base !== undefined && fires(base + offset)) return true;
  }
  return exhausted;
}

function propertyTexts(property: ICAL.Property): string[] {
  return (property.getValues() as unknown[]).map((value) => {
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.map(String).join(';');
    if (value instanceof ICAL.Time || value instanceof ICAL.Duration || value instanceof ICAL.Period || value instanceof ICAL.Recur) return value.toString();
    return String(value);
  });
}

function propertyOverlaps(range: TimeRange, property: ICAL.Property, context: Context): boolean {
  const tzid = tzidOf(property);
  return (property.getValues() as unknown[]).some((value) => {
    if (value instanceof ICAL.Period) {
      return overlaps(range, epochMs(value.start, tzid, context.options), epochMs(value.getEnd(), tzid, context.options));
    }
    if (!(value instanceof ICAL.Time)) return false;
    const at = epochMs(value, tzid, context.options);
    if (value.isDate) {
      const next = value.clone();
      next.addDuration(ICAL.Duration.fromData({ days: 1 }));
      return overlaps(range, at, epochMs(next, tzid, context.options));
    }
    return range.start <= at && range.end > at;
  });
}

function matchesPropFilter(filter: CalendarPropFilter, component: ICAL.Component, context: Context): boolean {
  const properties = component.getAllProperties(filter.name.toLowerCase());
  if (filter.isNotDefined) return properties.length === 0;
  return properties.some(
    (property) =>
      (!filter.timeRange || propertyOverlaps(filter.timeRange, property, context)) &&
      (!filter.textMatch || textMatches(filter.textMatch, propertyTexts(property))) &&
      filter.paramFilters.every((paramFilter) => matchesParamFilter(paramFilter, property)),
  );
}

/** Whether one component satisfies a comp-filter's conditions (its name already matched). */
function componentMatches(filter: CompFilter, component: ICAL.Component, parent: ICAL.Component | undefined, context: Context): boolean {
  if (filter.timeRange) {
    const inRange =
      component.name === 'valarm' && parent
        ? alarmOverlaps(filter.timeRange, component, parent, context)
        : componentOverlaps(filter.timeRange, component, context);
    if (!inRange) return false;
  }
  if (!filter.propFilters.every((propFilter) => matchesPropFilter(propFilter, component, context))) return false;
  return filter.compFilters.every((child) => childMatches(child, component, context));
}

/** A nested comp-filter matches when some child component of that name satisfies it (or, with is-not-defined, none exists). */
function childMatches(filter: CompFilter, parent: ICAL.Component, context: Context): boolean {
  const children = parent.getAllSubcomponents(filter.name.toLowerCase());
  if (filter.isNotDefined) return children.length === 0;
  return children.some((child) => componentMatches(filter, child, parent, context));
}

/**
 * Whether a stored calendar object matches the filter. An unparseable object matches
 * nothing. Floating times are read in `options.floatingTimeZone` (the calendar's time
 * zone), or as UTC when none is given.
 */
export function matchesCalendarFilter(filter: CalendarFilter, icsText: string, options: ZoneOptions = {}): boolean {
  const parsed = parseComponents(icsText);
  if (parsed.kind === 'invalid') return false;
  const calendar = parsed.components.find((component) => component.name === 'vcalendar');
  if (!calendar) return false;
  if (filter.root.isNotDefined) return false;
  const context: Context = { sets: recurrenceSets(calendar), options, expansions: new Map() };
  try {
    return componentMatches(filter.root, calendar, undefined, context);
  } catch {
    // A stored object whose values ical.js cannot decode (validation refuses those on PUT,
    // but older revisions may predate it) matches nothing instead of failing the REPORT.
    return false;
  }
}
