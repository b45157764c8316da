// The body of a free-busy-query REPORT answer (RFC 4791 §7.10): one VFREEBUSY for the
// requested range, built from the calendar's events. An event makes its time busy unless it
// is transparent (TRANSP:TRANSPARENT, which iOS, macOS and Outlook set on all-day events) or
// cancelled; a tentative event is BUSY-TENTATIVE. Recurring events are expanded with their
// exceptions, each instance judged by the component that owns it (an override can be
// cancelled on its own). Periods are clipped to the range and merged; time that is both busy
// and tentative is reported once, as BUSY.
//
// Stored VFREEBUSY components contribute their FREEBUSY periods. A recurring event whose
// expansion hits the cap on instances (./occurrences.ts) contributes only the instances
// examined before it: free-busy cannot answer "maybe".

import ICAL from 'ical.js';
import { parseComponents } from '../carddav/parse-content.ts';
import { epochMs, type ZoneOptions } from './epoch-time.ts';
import { expandInstances, recurrenceSets } from './occurrences.ts';
import type { XmlElement } from '../xml/xml-element.ts';
import { parseTimeRange, type TimeRange } from './time-range.ts';

export interface FreeBusyOptions extends ZoneOptions {
  /** The DTSTAMP to write; the current time when absent. */
  now?: Date;
}

type BusyType = 'BUSY' | 'BUSY-TENTATIVE' | 'BUSY-UNAVAILABLE';

interface Period {
  start: number;
  end: number;
}

function upperValue(component: ICAL.Component, name: string): string {
  const value: unknown = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value.trim().toUpperCase() : '';
}

/** How an event's time counts, or undefined when it leaves the time free. */
function busyTypeOf(event: ICAL.Component): BusyType | undefined {
  if (upperValue(event, 'transp') === 'TRANSPARENT') return undefined;
  const status = upperValue(event, 'status');
  if (status === 'CANCELLED') return undefined;
  return status === 'TENTATIVE' ? 'BUSY-TENTATIVE' : 'BUSY';
}

function clip(period: Period, range: TimeRange): Period | undefined {
  const start = Math.max(period.start, range.start);
  const end = Math.min(period.end, range.end);
  return end > start ? { start, end } : undefined;
}

/** Sorts and joins overlapping or touching periods. */
function merge(periods: Period[]): Period[] {
  const sorted = [...periods].sort((a, b) => a.start - b.start);
  const merged: Period[] = [];
  for (const period of sorted) {
    const last = merged[merged.length - 1];
    if (last && period.start <= last.end) last.end = Math.max(last.end, period.end);
    else merged.push({ ...period });
  }
  return merged;
}

/** The parts of `periods` not covered by `covered` (both merged and sorted). */
function subtract(periods: Period[], covered: Period[]): Period[] {
  const result: Period[] = [];
  for (const period of periods) {
    let start = period.start;
    for (const cover of covered) {
      if (cover.end <= start || cover.start >= period.end) continue;
      if (cover.start > start) result.push({ start, end: cover.start });
      start = Math.max(start, cover.end);
    }
    if (start < period.end) result.push({ start, end: period.end });
  }
  return result;
}

function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function collect(calendar: ICAL.Component, range: TimeRange, options: ZoneOptions, into: Map<BusyType, Period[]>): void {
  const add = (type: BusyType, period: Period) => {
    const clipped = clip(period, range);
    if (clipped) into.get(type)!.push(clipped);
  };
  for (const set of recurrenceSets(calendar)) {
    const first = set.master ?? set.overrides[0];
    if (first?.name !== 'vevent') continue;
    for (const instance of expandInstances(set, range, options).instances) {
      const type = busyTypeOf(instance.component);
      if (type && instance.start !== undefined && instance.end !== undefined) add(type, { start: instance.start, end: instance.end });
    }
  }
  for (const stored of calendar.getAllSubcomponents('vfreebusy')) {
    for (const property of stored.getAllProperties('freebusy')) {
      const fbtype = String(property.getFirstParameter('fbtype') ?? 'BUSY').toUpperCase();
      if (fbtype !== 'BUSY' && fbtype !== 'BUSY-TENTATIVE' && fbtype !== 'BUSY-UNAVAILABLE') continue;
      for (const value of property.getValues() as unknown[]) {
        if (!(value instanceof ICAL.Period)) continue;
        add(fbtype, { start: epochMs(value.start, undefined, options), end: epochMs(value.getEnd(), undefined, options) });
      }
    }
  }
}

/**
 * Reads the time-range of a free-busy-query REPORT (RFC 4791 §7.10), which must bound the
 * answer on both sides.
 */
export function parseFreeBusyRange(timeRange: XmlElement): { kind: 'ok'; range: { start: Date; end: Date } } | { kind: 'invalid'; message: string } {
  const parsed = parseTimeRange(timeRange);
  if (parsed.kind === 'invalid') return parsed;
  const { start, end } = parsed.range;
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    return { kind: 'invalid', message: 'a free-busy-query time-range needs both start and end, so the answer has bounds.' };
  }
  return { kind: 'ok', range: { start: new Date(start), end: new Date(end) } };
}

/**
 * A VCALENDAR holding one VFREEBUSY for `range`, from the given calendar objects (stored
 * bytes as text). Objects that cannot be parsed are skipped.
 */
export function freeBusy(icsTexts: string[], range: { start: Date; end: Date }, options: FreeBusyOptions = {}): string {
  const window: TimeRange = { start: range.start.getTime(), end: range.end.getTime() };
  const periods = new Map<BusyType, Period[]>([
    ['BUSY', []],
    ['BUSY-UNAVAILABLE', []],
    ['BUSY-TENTATIVE', []],
  ]);
  for (const text of icsTexts) {
    const parsed = parseComponents(text);
    if (parsed.kind === 'invalid') continue;
    for (const calendar of parsed.components.filter((component) => component.name === 'vcalendar')) {
      try {
        collect(calendar, window, options, periods);
      } catch {
        // Values ical.js cannot decode (validation refuses them on PUT, older revisions may
        // predate it): this object adds nothing rather than failing the whole REPORT.
      }
    }
  }
  const busy = merge(periods.get('BUSY')!);
  const unavailable = subtract(merge(periods.get('BUSY-UNAVAILABLE')!), busy);
  const tentative = subtract(subtract(merge(periods.get('BUSY-TENTATIVE')!), busy), unavailable);

  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Holdfast//CalDAV free-busy//EN',
    'BEGIN:VFREEBUSY',
    `DTSTAMP:${utcStamp((options.now ?? new Date()).getTime())}`,
    `DTSTART:${utcStamp(window.start)}`,
    `DTEND:${utcStamp(window.end)}`,
  ];
  const all = [
    ...busy.map((period) => ({ type: 'BUSY' as const, period })),
    ...unavailable.map((period) => ({ type: 'BUSY-UNAVAILABLE' as const, period })),
    ...tentative.map((period) => ({ type: 'BUSY-TENTATIVE' as const, period })),
  ].sort((a, b) => a.period.start - b.period.start);
  // One period per FREEBUSY line keeps every line under the 75-octet fold limit.
  for (const { type, period } of all) lines.push(`FREEBUSY;FBTYPE=${type}:${utcStamp(period.start)}/${utcStamp(period.end)}`);
  lines.push('END:VFREEBUSY', 'END:VCALENDAR');
  return lines.join('\r\n') + '\r\n';
}
