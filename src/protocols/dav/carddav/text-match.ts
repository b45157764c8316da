// The text-match element shared by CardDAV (RFC 6352 §10.5.4) and CalDAV (RFC 4791 §9.7.5):
// a string, a collation (RFC 4790), a match type and an optional negation. The two RFCs
// differ only in the default collation and in CalDAV having no match-type (always a
// substring match), so each caller passes its defaults.

import type { XmlElement } from '../xml/xml-element.ts';

export type Collation = 'i;octet' | 'i;ascii-casemap' | 'i;unicode-casemap';
export type MatchType = 'equals' | 'contains' | 'starts-with' | 'ends-with';

export interface TextMatch {
  text: string;
  collation: Collation;
  matchType: MatchType;
  negate: boolean;
}

export type TextMatchParse =
  | { kind: 'ok'; textMatch: TextMatch }
  | { kind: 'unsupported'; precondition: 'supported-filter' | 'supported-collation'; message: string };

const collations: readonly Collation[] = ['i;octet', 'i;ascii-casemap', 'i;unicode-casemap'];
const matchTypes: readonly MatchType[] = ['equals', 'contains', 'starts-with', 'ends-with'];

export function parseTextMatch(element: XmlElement, defaultCollation: Collation): TextMatchParse {
  const collation = element.attributes['collation'] ?? defaultCollation;
  if (!collations.includes(collation as Collation)) {
    return {
      kind: 'unsupported',
      precondition: 'supported-collation',
      message: `text-match collation "${collation}" is not supported; use one of ${collations.join(', ')}.`,
    };
  }
  const matchType = element.attributes['match-type'] ?? 'contains';
  if (!matchTypes.includes(matchType as MatchType)) {
    return {
      kind: 'unsupported',
      precondition: 'supported-filter',
      message: `text-match match-type "${matchType}" is not supported; use one of ${matchTypes.join(', ')}.`,
    };
  }
  const negation = element.attributes['negate-condition'] ?? 'no';
  if (negation !== 'yes' && negation !== 'no') {
    return {
      kind: 'unsupported',
      precondition: 'supported-filter',
      message: `text-match negate-condition must be "yes" or "no", not "${negation}".`,
    };
  }
  return {
    kind: 'ok',
    // The text is taken as sent: whitespace inside the element is part of what to match.
    textMatch: { text: element.text, collation: collation as Collation, matchType: matchType as MatchType, negate: negation === 'yes' },
  };
}

/** Folds a string for comparison under a collation. */
function fold(value: string, collation: Collation): string {
  switch (collation) {
    case 'i;octet':
      // Comparing UTF-16 strings for equality and substrings gives the same answers as
      // comparing their UTF-8 octets, so no conversion is needed.
      return value;
    case 'i;ascii-casemap':
      return value.replace(/[A-Z]/g, (letter) => letter.toLowerCase());
    case 'i;unicode-casemap':
      // RFC 5051 asks for Unicode case folding of the decomposed string. JavaScript has no
      // case-fold primitive; upper- then lower-casing folds the special cases (ß → ss)
      // that a single toLowerCase misses, and NFKD makes "é" and "e\u0301" equal.
      return value.normalize('NFKD').toUpperCase().toLowerCase().normalize('NFKD');
  }
}

/** Whether one value matches, before negation. */
function matchesValue(match: TextMatch, value: string): boolean {
  const haystack = fold(value, match.collation);
  const needle = fold(match.text, match.collation);
  switch (match.matchType) {
    case 'equals':
      return haystack === needle;
    case 'contains':
      return haystack.includes(needle);
    case 'starts-with':
      return haystack.startsWith(needle);
    case 'ends-with':
      return haystack.endsWith(needle);
  }
}

/**
 * Whether a text-match matches one property or parameter instance, given its values.
 * A multi-valued instance (CATEGORIES:a,b or TYPE=work,voice) matches when any value
 * does; negate-condition then inverts the answer for the instance as a whole.
 */
export function textMatches(match: TextMatch, values: readonly string[]): boolean {
  const matched = values.some((value) => matchesValue(match, value));
  return match.negate ? !matched : matched;
}
