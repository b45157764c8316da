// The filter of an addressbook-query REPORT (RFC 6352 §10.5): parsed once from the request
// into a plain value, then matched against each stored vCard.

import type ICAL from 'ical.js';
import { NS, type XmlElement } from '../xml/xml-element.ts';
import { parseTextMatch, textMatches, type TextMatch } from './text-match.ts';
import { decodeUtf8, parseComponents } from './parse-content.ts';
import { matchesParamFilter, type ParamFilter } from './param-filter.ts';

export type FilterTest = 'anyof' | 'allof';

export interface PropFilter {
  /** Upper-case property name (FN, EMAIL, X-ADDRESSBOOKSERVER-KIND, …), without a group. */
  name: string;
  test: FilterTest;
  isNotDefined: boolean;
  textMatches: TextMatch[];
  paramFilters: ParamFilter[];
}

export interface AddressbookFilter {
  test: FilterTest;
  propFilters: PropFilter[];
}

export type AddressbookFilterParse =
  | { kind: 'ok'; filter: AddressbookFilter }
  | { kind: 'unsupported'; precondition: 'supported-filter' | 'supported-collation'; message: string };

type Unsupported = Extract<AddressbookFilterParse, { kind: 'unsupported' }>;

function unsupported(message: string): Unsupported {
  return { kind: 'unsupported', precondition: 'supported-filter', message };
}

function parseTest(element: XmlElement): FilterTest | Unsupported {
  const test = element.attributes['test'] ?? 'anyof';
  if (test === 'anyof' || test === 'allof') return test;
  return unsupported(`${element.name} test="${test}" is not supported; use "anyof" or "allof".`);
}

function requireName(element: XmlElement): string | Unsupported {
  const name = element.attributes['name']?.trim();
  if (!name) return unsupported(`${element.name} needs a name attribute naming the vCard property or parameter.`);
  return name.toUpperCase();
}

function isUnsupported(value: unknown): value is Unsupported {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'unsupported';
}

function parseParamFilter(element: XmlElement): ParamFilter | Unsupported {
  const name = requireName(element);
  if (isUnsupported(name)) return name;
  const filter: ParamFilter = { name, isNotDefined: false };
  for (const child of element.children) {
    if (child.ns !== NS.carddav) return unsupported(`param-filter may not contain {${child.ns}}${child.name}.`);
    if (child.name === 'is-not-defined') filter.isNotDefined = true;
    else if (child.name === 'text-match') {
      const parsed = parseTextMatch(child, 'i;unicode-casemap');
      if (parsed.kind === 'unsupported') return parsed;
      filter.textMatch = parsed.textMatch;
    } else return unsupported(`param-filter may not contain ${child.name}; use is-not-defined or text-match.`);
  }
  if (filter.isNotDefined && filter.textMatch) return unsupported('param-filter cannot hold both is-not-defined and text-match.');
  return filter;
}

function parsePropFilter(element: XmlElement): PropFilter | Unsupported {
  const name = requireName(element);
  if (isUnsupported(name)) return name;
  const test = parseTest(element);
  if (isUnsupported(test)) return test;
  const filter: PropFilter = { name, test, isNotDefined: false, textMatches: [], paramFilters: [] };
  for (const child of element.children) {
    if (child.ns !== NS.carddav) return unsupported(`prop-filter may not contain {${child.ns}}${child.name}.`);
    if (child.name === 'is-not-defined') filter.isNotDefined = true;
    else if (child.name === 'text-match') {
      const parsed = parseTextMatch(child, 'i;unicode-casemap');
      if (parsed.kind === 'unsupported') return parsed;
      filter.textMatches.push(parsed.textMatch);
    } else if (child.name === 'param-filter') {
      const parsed = parseParamFilter(child);
      if (isUnsupported(parsed)) return parsed;
      filter.paramFilters.push(parsed);
    } else return unsupported(`prop-filter may not contain ${child.name}; use is-not-defined, text-match or param-filter.`);
  }
  if (filter.isNotDefined && (filter.textMatches.length > 0 || filter.paramFilters.length > 0)) {
    return unsupported('prop-filter cannot combine is-not-defined with text-match or param-filter.');
  }
  return filter;
}

/** Reads the CARDDAV:filter element of an addressbook-query. */
export function parseAddressbookFilter(filter: XmlElement): AddressbookFilterParse {
  if (filter.ns !== NS.carddav || filter.name !== 'filter') {
    return unsupported(`expected {${NS.carddav}}filter, got {${filter.ns}}${filter.name}.`);
  }
  const test = parseTest(filter);
  if (isUnsupported(test)) return test;
  const propFilters: PropFilter[] = [];
  for (const child of filter.children) {
    if (child.ns !== NS.carddav || child.name !== 'prop-filter') {
      return unsupported(`filter may contain only prop-filter elements, not {${child.ns}}${child.name}.`);
    }
    const parsed = parsePropFilter(child);
    if (isUnsupported(parsed)) return parsed;
    propFilters.push(parsed);
  }
  return { kind: 'ok', filter: { test, propFilters } };
}

/** The values of one property instance as text: structured parts joined with ";". */
function propertyTexts(property: ICAL.Property): string[] {
  const values: unknown[] = property.getValues();
  return values.map((value) => (Array.isArray(value) ? value.map((part) => (Array.isArray(part) ? part.join(',') : String(part))).join(';') : String(value)));
}

function combine(test: FilterTest, results: boolean[]): boolean {
  return test === 'allof' ? results.every(Boolean) : results.some(Boolean);
}

/**
 * A prop-filter matches when some instance of the property satisfies its text-matches and
 * param-filters, combined by its test (a prop-filter with neither matches when the
 * property exists); with is-not-defined it matches when there is no such property.
 */
function matchesPropFilter(filter: PropFilter, card: ICAL.Component): boolean {
  // ical.js keeps a vCard group (item1.EMAIL) as a parameter, so names compare directly.
  const instances = card.getAllProperties(filter.name.toLowerCase());
  if (filter.isNotDefined) return instances.length === 0;
  const conditions = filter.textMatches.length + filter.paramFilters.length;
  if (conditions === 0) return instances.length > 0;
  return instances.some((property) => {
    const texts = propertyTexts(property);
    const results = [
      ...filter.textMatches.map((match) => textMatches(match, texts)),
      ...filter.paramFilters.map((paramFilter) => matchesParamFilter(paramFilter, property)),
    ];
    return combine(filter.test, results);
  });
}

/** Whether a stored vCard matches the filter. An unparseable card matches nothing. */
export function matchesAddressbookFilter(filter: AddressbookFilter, vcardText: string): boolean {
  if (filter.propFilters.length === 0) return true;
  const decoded = decodeUtf8(vcardText);
  if (decoded.kind === 'invalid') return false;
  const parsed = parseComponents(decoded.text);
  if (parsed.kind === 'invalid') return false;
  const card = parsed.components.find((component) => component.name === 'vcard');
  if (!card) return false;
  try {
    return combine(
      filter.test,
      filter.propFilters.map((propFilter) => matchesPropFilter(propFilter, card)),
    );
  } catch {
    // A value ical.js cannot decode makes this card match nothing instead of failing the
    // whole REPORT; the card is still served by multiget and sync, byte for byte.
    return false;
  }
}
