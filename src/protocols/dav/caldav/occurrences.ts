// The instances of a calendar object: a master component expanded by its RRULEs and RDATEs,
// minus its EXDATEs, with the instances that overridden components (same UID, with
// RECURRENCE-ID) replace. ical.js supplies the RRULE iterator; the merging is done here,
// because ical.js's RecurExpansion skips DTSTART when only RDATEs are present and can miss
// an EXDATE that follows one not on an occurrence.
//
// Expansion is bounded twice: it stops at the first occurrence after the window's
// end (occurrences come in order), and it examines at most MAX_INSTANCES_EXAMINED
// occurrences (ical.js takes some 10–30 µs per occurrence, so the cap costs well under a
// second). Simple rules (DAILY, or WEEKLY by weekday, without COUNT) skip ahead to just
// before the window in whole repeats of their pattern, so an everyday event that began
// decades ago is answered exactly. Other rules that would need more than the cap report
// the expansion `exhausted`, and callers decide (calendar-query treats it as a match, so a
// phone never loses sight of an event because of the cap).
//
// Not supported: RANGE=THISANDFUTURE on RECURRENCE-ID (treated as a single-instance
// override; no client we have fixtures from writes it) and EXRULE (deprecated by RFC 5545).

import ICAL from 'ical.js';
import { epochMs, tzidOf, timeProperty, type ZoneOptions } from './epoch-time.ts';
import type { TimeRange } from './time-range.ts';

export const MAX_INSTANCES_EXAMINED = 10_000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface Instance {
  /** The component the instance's properties come from: the master or an override. */
  component: ICAL.Component;
  /** DTSTART of this instance (ms); undefined for a VTODO or VJOURNAL without DTSTART. */
  start: number | undefined;
  /**
   * End of this instance (ms): from DTEND or DURATION, or the implied length (one day for
   * an all-day VEVENT or VJOURNAL, zero otherwise). For a VTODO, only DTSTART+DURATION.
   */
  end: number | undefined;
  /** DUE of this VTODO instance (ms), if it has one. */
  due: number | undefined;
  /** Whether DTSTART is a DATE (an all-day instance). */
  allDay: boolean;
}

export interface Expansion {
  instances: Instance[];
  /** True when MAX_INSTANCES_EXAMINED ran out before the expansion passed the window. */
  exhausted: boolean;
}

/** Components that share a UID: at most one master and its overridden instances. */
export interface RecurrenceSet {
  uid: string | undefined;
  master: ICAL.Component | undefined;
  overrides: ICAL.Component[];
}

function uidOf(component: ICAL.Component): string | undefined {
  const value: unknown = component.getFirstPropertyValue('uid');
  return typeof value === 'string' ? value : undefined;
}

/** Groups a VCALENDAR's components (other than VTIMEZONE) by UID. */
export function recurrenceSets(calendar: ICAL.Component): RecurrenceSet[] {
  const byUid = new Map<string, RecurrenceSet>();
  const sets: RecurrenceSet[] = [];
  for (const component of calendar.getAllSubcomponents()) {
    if (component.name === 'vtimezone') continue;
    const uid = uidOf(component);
    let set = uid === undefined ? undefined : byUid.get(`${component.name}\u0000${uid}`);
    if (!set) {
      set = { uid, master: undefined, overrides: [] };
      sets.push(set);
      if (uid !== undefined) byUid.set(`${component.name}\u0000${uid}`, set);
    }
    if (component.hasProperty('recurrence-id')) set.overrides.push(component);
    else if (!set.master) set.master = component;
    else sets.push({ uid, master: component, overrides: [] });
  }
  return sets;
}

/** The local date of a time, as a key that DATE EXDATEs compare by. */
function dateKey(time: ICAL.Time): string {
  return `${time.year}-${time.month}-${time.day}`;
}

/** The instant a time plus an iCalendar duration reaches, with days counted on the wall clock. */
function plusDuration(time: ICAL.Time, duration: ICAL.Duration, tzid: string | undefined, options: ZoneOptions): number {
  const later = time.clone();
  later.addDuration(duration);
  return epochMs(later, tzid, options);
}

function durationProperty(component: ICAL.Component): ICAL.Duration | undefined {
  const value: unknown = component.getFirstPropertyValue('duration');
  return value instanceof ICAL.Duration ? value : undefined;
}

/** Builds an instance of `component` starting at `start` (its own DTSTART or an occurrence). */
function instanceAt(component: ICAL.Component, start: ICAL.Time, startMs: number, options: ZoneOptions): Instance {
  const dtstart = timeProperty(component, 'dtstart', options);
  const tzid = dtstart?.tzid;
  const allDay = start.isDate;
  const duration = durationProperty(component);
  let end: number | undefined;
  let due: number | undefined;
  switch (component.name) {
    case 'vevent': {
      const dtend = timeProperty(component, 'dtend', options);
      if (duration) end = plusDuration(start, duration, tzid, options);
      else if (dtend && dtstart) {
        // All-day lengths are whole days on the wall clock; timed lengths are exact.
        end = allDay
          ? plusDuration(start, ICAL.Duration.fromData({ days: Math.round((dtend.ms - dtstart.ms) / DAY_MS) }), tzid, options)
          : startMs + (dtend.ms - dtstart.ms);
      } else end = allDay ? plusDuration(start, ICAL.Duration.fromData({ days: 1 }), tzid, options) : startMs;
      break;
    }
    case 'vtodo': {
      if (duration) end = plusDuration(start, duration, tzid, options);
      const dueProperty = timeProperty(component, 'due', options);
      if (dueProperty) due = dtstart ? startMs + (dueProperty.ms - dtstart.ms) : dueProperty.ms;
      break;
    }
    case 'vjournal':
      end = allDay ? plusDuration(start, ICAL.Duration.fromData({ days: 1 }), tzid, options) : startMs;
      break;
    default: {
      const dtend = timeProperty(component, 'dtend', options);
      end = dtend ? dtend.ms : startMs;
    }
  }
  return { component, start: startMs, end, due, allDay };
}

/** An instance of a component with no DTSTART (a VTODO with only DUE, or none). */
function undatedInstance(component: ICAL.Component, options: ZoneOptions): Instance {
  return { component, start: undefined, end: undefined, due: timeProperty(component, 'due', options)?.ms, allDay: false };
}

function latestOf(instance: Instance): number {
  return Math.max(instance.start ?? -Infinity, instance.end ?? -Infinity, instance.due ?? -Infinity);
}

interface Occurrence {
  time: ICAL.Time;
  ms: number;
}

/**
 * The number of days after which a rule's occurrences repeat, for the rules simple enough
 * to skip ahead in: DAILY (optionally by weekday) and WEEKLY by weekday, without COUNT
 * (which counts from DTSTART) and without other BY parts.
 */
function repeatDays(rule: ICAL.Recur): number | undefined {
  if (rule.count) return undefined;
  const interval = rule.interval > 0 ? rule.interval : 1;
  const parts = Object.entries(rule.parts).filter(([, values]) => Array.isArray(values) && values.length > 0);
  const byWeekdayOnly = parts.every(([name, values]) => name === 'BYDAY' && (values as unknown[]).every((day) => /^[A-Z]{2}$/.test(String(day))));
  if (!byWeekdayOnly) return undefined;
  if (rule.freq === 'WEEKLY') return 7 * interval;
  if (rule.freq === 'DAILY') return parts.length === 0 ? interval : lcm(interval, 7);
  return undefined;
}

function lcm(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return (a * b) / x;
}

/**
 * A start for the rule's iterator that lies whole pattern repeats after DTSTART and before
 * `skipBefore`, so occurrences long before the window are not walked one by one. Days are
 * added on the wall clock, so the skipped-to start keeps its local time across DST. Only
 * done when DTSTART is itself an occurrence of the rule, so the new start is one too.
 */
function skipAhead(rule: ICAL.Recur, dtstart: ICAL.Time, dtstartMs: number, skipBefore: number): ICAL.Time {
  const days = repeatDays(rule);
  if (days === undefined || !Number.isFinite(skipBefore)) return dtstart;
  const repeats = Math.floor((skipBefore - dtstartMs) / (days * DAY_MS)) - 1;
  if (repeats < 2) return dtstart;
  // ical.js types next() as returning Time, but it returns null for a rule with no occurrences.
  const first = rule.iterator(dtstart).next() as ICAL.Time | null;
  if (!first || first.compare(dtstart) !== 0) return dtstart;
  const start = dtstart.clone();
  start.adjust(repeats * days, 0, 0, 0);
  return start;
}

/** How long after its start an instance of `component` can still reach: its length, or DUE, plus slack for DST and nominal days. */
function reachAfterStart(component: ICAL.Component, dtstartMs: number, options: ZoneOptions): number {
  const duration = durationProperty(component);
  const end = timeProperty(component, 'dtend', options) ?? timeProperty(component, 'due', options);
  const length = duration ? Math.abs(duration.toSeconds() * 1000) : end ? end.ms - dtstartMs : 0;
  return Math.max(length, 0) + 2 * DAY_MS;
}

/** The occurrence start times of a master, in order, without duplicates or EXDATEs. */
function* occurrencesOf(
  master: ICAL.Component,
  dtstart: ICAL.Time,
  tzid: string | undefined,
  skipBefore: number,
  options: ZoneOptions,
): Generator<Occurrence> {
  const sources: Array<() => Occurrence | undefined> = [];
  let startGiven = false;
  // DTSTART is always the first instance (RFC 5545 §3.8.5.3), even when the rule would skip it.
  sources.push(() => {
    if (startGiven) return undefined;
    startGiven = true;
    return { time: dtstart, ms: epochMs(dtstart, tzid, options) };
  });
  for (const property of master.getAllProperties('rrule')) {
    const rule: unknown = property.getFirstValue();
    if (!(rule instanceof ICAL.Recur)) continue;
    const iterator = rule.iterator(skipAhead(rule, dtstart, epochMs(dtstart, tzid, options), skipBefore));
    sources.push(() => {
      // ical.js types next() as returning Time, but it returns null once the rule ends.
      const next = iterator.next() as ICAL.Time | null;
      return next ? { time: next.clone(), ms: epochMs(next, tzid, options) } : undefined;
    });
  }
  const rdates: Occurrence[] = [];
  for (const property of master.getAllProperties('rdate')) {
    const rdateTzid = tzidOf(property) ?? tzid;
    for (const value of property.getValues() as unknown[]) {
      // An RDATE may be a PERIOD; its start is the occurrence (the instance keeps the master's length).
      const time = value instanceof ICAL.Period ? value.start : value instanceof ICAL.Time ? value : undefined;
      if (time) rdates.push({ time, ms: epochMs(time, rdateTzid, options) });
    }
  }
  rdates.sort((a, b) => a.ms - b.ms);
  let rdateIndex = 0;
  sources.push(() => rdates[rdateIndex++]);

  const exdateMs = new Set<number>();
  const exdateDays = new Set<string>();
  for (const property of master.getAllProperties('exdate')) {
    const exTzid = tzidOf(property) ?? tzid;
    for (const value of property.getValues() as unknown[]) {
      if (!(value instanceof ICAL.Time)) continue;
      if (value.isDate) exdateDays.add(dateKey(value));
      else exdateMs.add(epochMs(value, exTzid, options));
    }
  }

  const heads = sources.map((next) => next());
  let last = -Infinity;
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head && (best < 0 || head.ms < heads[best]!.ms)) best = i;
    }
    if (best < 0) return;
    const occurrence = heads[best]!;
    heads[best] = sources[best]!();
    if (occurrence.ms <= last) continue;
    last = occurrence.ms;
    if (exdateMs.has(occurrence.ms) || exdateDays.has(dateKey(occurrence.time))) continue;
    yield occurrence;
  }
}

/**
 * The instances of a recurrence set that could touch `window`: those starting no later
 * than its end whose latest time is not before its start. Callers apply the exact overlap
 * rules.
 */
export function expandInstances(set: RecurrenceSet, window: TimeRange, options: ZoneOptions = {}): Expansion {
  const instances: Instance[] = [];
  const keep = (instance: Instance) => {
    // An instance without DTSTART has no place in time to filter by; the overlap rules
    // (RFC 4791 §9.9's VTODO table) judge it by DUE, COMPLETED and CREATED.
    // Bounds are inclusive on both sides because the VTODO table compares `end >= DUE`.
    if (instance.start === undefined || (instance.start <= window.end && latestOf(instance) >= window.start)) instances.push(instance);
  };
  const overridden = new Map<number, ICAL.Component>();
  for (const override of set.overrides) {
    const recurrenceId = timeProperty(override, 'recurrence-id', options);
    if (recurrenceId) overridden.set(recurrenceId.ms, override);
    const own = timeProperty(override, 'dtstart', options) ?? recurrenceId;
    keep(own ? instanceAt(override, own.time, own.ms, options) : undatedInstance(override, options));
  }
  const master = set.master;
  if (!master) return { instances, exhausted: false };
  const dtstart = timeProperty(master, 'dtstart', options);
  if (!dtstart) {
    keep(undatedInstance(master, options));
    return { instances, exhausted: false };
  }
  let examined = 0;
  const skipBefore = window.start - reachAfterStart(master, dtstart.ms, options);
  for (const occurrence of occurrencesOf(master, dtstart.time, dtstart.tzid, skipBefore, options)) {
    if (occurrence.ms > window.end) return { instances, exhausted: false };
    if (++examined > MAX_INSTANCES_EXAMINED) return { instances, exhausted: true };
    if (overridden.has(occurrence.ms)) continue;
    keep(instanceAt(master, occurrence.time, occurrence.ms, options));
  }
  return { instances, exhausted: false };
}
