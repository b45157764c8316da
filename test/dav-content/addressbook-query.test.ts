import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  matchesAddressbookFilter,
  parseAddressbookFilter,
  type AddressbookFilter,
} from '../../src/protocols/dav/carddav/addressbook-query.ts';
import type { XmlElement } from '../../src/protocols/dav/xml/xml-element.ts';
import { fixture } from './fixtures.ts';
import { cal, card } from './xml-builder.ts';

const ios = fixture('ios-17-contact.vcf');
const group = fixture('ios-contact-group.vcf');
const davx5 = fixture('davx5-contact-v3.vcf');
const v4group = fixture('davx5-group-v4.vcf');

function parsed(filter: XmlElement): AddressbookFilter {
  const result = parseAddressbookFilter(filter);
  assert.equal(result.kind, 'ok', JSON.stringify(result));
  return (result as { filter: AddressbookFilter }).filter;
}

function matching(filter: XmlElement): string[] {
  const compiled = parsed(filter);
  const cards = { ios, group, davx5, v4group };
  return Object.entries(cards)
    .filter(([, text]) => matchesAddressbookFilter(compiled, text))
    .map(([name]) => name);
}

const textMatch = (text: string, attributes: Record<string, string> = {}) => card('text-match', attributes, text);
const propFilter = (name: string, children: XmlElement[] = [], attributes: Record<string, string> = {}) =>
  card('prop-filter', { name, ...attributes }, children);

void describe('addressbook-query filters (RFC 6352 §10.5)', () => {
  it('an empty filter matches every card', () => {
    assert.deepEqual(matching(card('filter')), ['ios', 'group', 'davx5', 'v4group']);
  });

  it('a prop-filter without conditions matches cards that have the property', () => {
    assert.deepEqual(matching(card('filter', {}, [propFilter('EMAIL')])), ['ios', 'davx5']);
  });

  it('is-not-defined matches cards that lack the property', () => {
    assert.deepEqual(matching(card('filter', {}, [propFilter('EMAIL', [card('is-not-defined')])])), ['group', 'v4group']);
  });

  it('text-match defaults to contains under i;unicode-casemap, so case and accents fold', () => {
    assert.deepEqual(matching(card('filter', {}, [propFilter('FN', [textMatch('APPLESEED')])])), ['ios']);
    assert.deepEqual(matching(card('filter', {}, [propFilter('ADR', [textMatch('KÖLN')])])), ['davx5']);
    assert.deepEqual(matching(card('filter', {}, [propFilter('NOTE', [textMatch('SCHLUESSEL')])])), []);
    // ß folds to ss under unicode-casemap.
    assert.deepEqual(matching(card('filter', {}, [propFilter('ADR', [textMatch('HEIDESTRASSE')])])), ['davx5']);
  });

  it('a property written in decomposed form matches a precomposed search string', () => {
    const decomposed = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jose\u0301\r\nUID:x\r\nEND:VCARD\r\n';
    assert.equal(matchesAddressbookFilter(parsed(card('filter', {}, [propFilter('FN', [textMatch('josé')])])), decomposed), true);
  });

  it('i;ascii-casemap folds ASCII letters only', () => {
    const filter = (text: string) => card('filter', {}, [propFilter('ADR', [textMatch(text, { collation: 'i;ascii-casemap' })])]);
    assert.deepEqual(matching(filter('köln')), ['davx5']);
    assert.deepEqual(matching(filter('KÖLN')), []);
  });

  it('i;octet is case-sensitive', () => {
    const filter = (text: string) => card('filter', {}, [propFilter('FN', [textMatch(text, { collation: 'i;octet' })])]);
    assert.deepEqual(matching(filter('Erika')), ['davx5']);
    assert.deepEqual(matching(filter('erika')), []);
  });

  it('match-type equals, starts-with and ends-with', () => {
    const filter = (text: string, matchType: string) =>
      card('filter', {}, [propFilter('FN', [textMatch(text, { 'match-type': matchType })])]);
    assert.deepEqual(matching(filter('erika mustermann', 'equals')), ['davx5']);
    assert.deepEqual(matching(filter('erika', 'equals')), []);
    assert.deepEqual(matching(filter('johnny', 'starts-with')), ['ios']);
    assert.deepEqual(matching(filter('appleseed', 'starts-with')), []);
    assert.deepEqual(matching(filter('club', 'ends-with')), ['v4group']);
  });

  it('structured values (N, ADR) match on their parts joined with ";"', () => {
    const filter = card('filter', {}, [propFilter('N', [textMatch('Mustermann;Erika', { 'match-type': 'starts-with' })])]);
    assert.deepEqual(matching(filter), ['davx5']);
  });

  it('a multi-valued property (CATEGORIES) matches when any value does', () => {
    const filter = card('filter', {}, [propFilter('CATEGORIES', [textMatch('nachbarn', { 'match-type': 'equals' })])]);
    assert.deepEqual(matching(filter), ['davx5']);
  });

  it('negate-condition matches instances whose value does not match', () => {
    const filter = card('filter', {}, [propFilter('FN', [textMatch('johnny', { 'negate-condition': 'yes' })])]);
    assert.deepEqual(matching(filter), ['group', 'davx5', 'v4group']);
  });

  it('a property in an Apple item group (item1.EMAIL) is found by its plain name', () => {
    const filter = card('filter', {}, [propFilter('EMAIL', [textMatch('johnny@orchard.example', { 'match-type': 'equals' })])]);
    assert.deepEqual(matching(filter), ['ios']);
  });

  it('param-filter matches a parameter value, including one of several TYPE values', () => {
    const filter = card('filter', {}, [
      propFilter('TEL', [card('param-filter', { name: 'TYPE' }, [textMatch('cell', { 'match-type': 'equals' })])]),
    ]);
    assert.deepEqual(matching(filter), ['ios', 'davx5']);
  });

  it('param-filter with is-not-defined matches an instance that lacks the parameter', () => {
    const noLanguage = card('filter', {}, [propFilter('NOTE', [card('param-filter', { name: 'LANGUAGE' }, [card('is-not-defined')])])]);
    assert.deepEqual(matching(noLanguage), ['ios', 'davx5']);
    const untypedEmail = card('filter', {}, [propFilter('EMAIL', [card('param-filter', { name: 'TYPE' }, [card('is-not-defined')])])]);
    assert.deepEqual(matching(untypedEmail), []);
  });

  it('finds contact groups the way macOS asks for them', () => {
    const filter = card('filter', {}, [propFilter('X-ADDRESSBOOKSERVER-KIND', [textMatch('group', { 'match-type': 'equals' })])]);
    assert.deepEqual(matching(filter), ['group']);
  });

  it('prop-filter test="allof" needs every condition to hold on one instance; anyof needs one', () => {
    const conditions = [textMatch('orchard'), card('param-filter', { name: 'TYPE' }, [textMatch('work')])];
    assert.deepEqual(matching(card('filter', {}, [propFilter('EMAIL', conditions, { test: 'allof' })])), []);
    assert.deepEqual(matching(card('filter', {}, [propFilter('EMAIL', conditions, { test: 'anyof' })])), ['ios', 'davx5']);
  });

  it('filter test="anyof" (the default) needs one prop-filter; allof needs all', () => {
    const filters = [propFilter('FN', [textMatch('erika')]), propFilter('FN', [textMatch('johnny')])];
    assert.deepEqual(matching(card('filter', {}, filters)), ['ios', 'davx5']);
    assert.deepEqual(matching(card('filter', { test: 'allof' }, filters)), []);
    const both = [propFilter('FN', [textMatch('erika')]), propFilter('CATEGORIES')];
    assert.deepEqual(matching(card('filter', { test: 'allof' }, both)), ['davx5']);
  });

  it('an empty property is defined but holds no text (Evolution writes NOTE: and CATEGORIES: empty)', () => {
    const evolution = fixture('evolution-contact.vcf');
    assert.equal(matchesAddressbookFilter(parsed(card('filter', {}, [propFilter('NOTE')])), evolution), true);
    assert.equal(matchesAddressbookFilter(parsed(card('filter', {}, [propFilter('NOTE', [card('is-not-defined')])])), evolution), false);
    assert.equal(matchesAddressbookFilter(parsed(card('filter', {}, [propFilter('NOTE', [textMatch('a')])])), evolution), false);
  });

  it('a vCard 4.0 PREF parameter can be filtered on (Thunderbird)', () => {
    const preferred = card('filter', {}, [propFilter('EMAIL', [textMatch('ada@', { 'match-type': 'starts-with' }), card('param-filter', { name: 'PREF' }, [textMatch('1', { 'match-type': 'equals' })])], { test: 'allof' })]);
    assert.equal(matchesAddressbookFilter(parsed(preferred), fixture('thunderbird-contact-v4.vcf')), true);
    const secondary = card('filter', {}, [propFilter('EMAIL', [textMatch('countess'), card('param-filter', { name: 'PREF' }, [textMatch('1')])], { test: 'allof' })]);
    assert.equal(matchesAddressbookFilter(parsed(secondary), fixture('thunderbird-contact-v4.vcf')), false);
  });

  it('an unparseable stored card matches nothing rather than throwing', () => {
    assert.equal(matchesAddressbookFilter(parsed(card('filter', {}, [propFilter('FN')])), 'not a vcard'), false);
  });

  void describe('what the filter parser refuses', () => {
    const refusal = (filter: XmlElement) => parseAddressbookFilter(filter);

    it('an unknown collation answers supported-collation', () => {
      const result = refusal(card('filter', {}, [propFilter('FN', [textMatch('x', { collation: 'i;basic' })])]));
      assert.equal(result.kind === 'unsupported' && result.precondition, 'supported-collation');
      assert.match(result.kind === 'unsupported' ? result.message : '', /i;basic/);
    });

    it('an unknown match-type answers supported-filter', () => {
      const result = refusal(card('filter', {}, [propFilter('FN', [textMatch('x', { 'match-type': 'regex' })])]));
      assert.equal(result.kind === 'unsupported' && result.precondition, 'supported-filter');
    });

    it('an unknown test answers supported-filter', () => {
      assert.equal(refusal(card('filter', { test: 'oneof' })).kind, 'unsupported');
    });

    it('a prop-filter without a name answers supported-filter', () => {
      const result = refusal(card('filter', {}, [card('prop-filter')]));
      assert.match(result.kind === 'unsupported' ? result.message : '', /name attribute/);
    });

    it('a CalDAV element inside a CardDAV filter answers supported-filter', () => {
      assert.equal(refusal(card('filter', {}, [cal('comp-filter', { name: 'VCALENDAR' })])).kind, 'unsupported');
    });

    it('is-not-defined combined with text-match answers supported-filter', () => {
      assert.equal(refusal(card('filter', {}, [propFilter('FN', [card('is-not-defined'), textMatch('x')])])).kind, 'unsupported');
    });
  });
});
