// A param-filter (RFC 6352 §10.5.2, RFC 4791 §9.7.3), matched the same way for a vCard
// property and an iCalendar one: each protocol parses its own XML into this.
import type ICAL from 'ical.js';
import { textMatches, type TextMatch } from './text-match.ts';

export interface ParamFilter {
  /** Upper-case parameter name (TYPE, PREF, PARTSTAT, TZID, …). */
  name: string;
  /** is-not-defined: matches when the parameter is absent. */
  isNotDefined: boolean;
  textMatch?: TextMatch;
}

function parameterValues(property: ICAL.Property, name: string): string[] | undefined {
  // ical.js types this as string | any[]; parameters hold strings or lists of strings.
  const value = property.getParameter(name.toLowerCase()) as string | string[] | undefined;
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

export function matchesParamFilter(filter: ParamFilter, property: ICAL.Property): boolean {
  const values = parameterValues(property, filter.name);
  if (filter.isNotDefined) return values === undefined;
  if (values === undefined) return false;
  return filter.textMatch ? textMatches(filter.textMatch, values) : true;
}
