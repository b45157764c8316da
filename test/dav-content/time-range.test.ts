import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overlaps, parseTimeRange, parseUtcDateTime } from '../../src/protocols/dav/caldav/time-range.ts';
import { cal } from './xml-builder.ts';

void describe('time-range element (RFC 4791 §9.9)', () => {
  it('reads start and end as UTC instants', () => {
    assert.deepEqual(parseTimeRange(cal('time-range', { start: '20240115T093000Z', end: '20240116T000000Z' })), {
      kind: 'ok',
      range: { start: Date.UTC(2024, 0, 15, 9, 30), end: Date.UTC(2024, 0, 16) },
    });
  });

  it('an absent start or end leaves that side open', () => {
    assert.deepEqual(parseTimeRange(cal('time-range', { start: '20240115T000000Z' })), { kind: 'ok', range: { start: Date.UTC(2024, 0, 15), end: Infinity } });
    assert.deepEqual(parseTimeRange(cal('time-range', { end: '20240115T000000Z' })), { kind: 'ok', range: { start: -Infinity, end: Date.UTC(2024, 0, 15) } });
  });

  const refusals: Array<[string, Record<string, string>, RegExp]> = [
    ['neither start nor end', {}, /needs a start attribute, an end attribute, or both/],
    ['a local time without Z', { start: '20240115T000000' }, /start: .*YYYYMMDDTHHMMSSZ/],
    ['an ISO 8601 extended time', { end: '2024-01-15T00:00:00Z' }, /end: .*YYYYMMDDTHHMMSSZ/],
    ['a date that does not exist', { start: '20240230T000000Z' }, /not a real date/],
    ['an hour past 23', { start: '20240115T250000Z' }, /not a real date/],
    ['a start after the end', { start: '20240116T000000Z', end: '20240115T000000Z' }, /not before its end/],
    ['a start equal to the end', { start: '20240115T000000Z', end: '20240115T000000Z' }, /not before its end/],
  ];
  for (const [what, attributes, message] of refusals) {
    it(`refuses ${what}, saying what is wrong`, () => {
      const result = parseTimeRange(cal('time-range', attributes));
      assert.equal(result.kind, 'invalid');
      assert.match(result.kind === 'invalid' ? result.message : '', message);
    });
  }

  it('parseUtcDateTime tolerates surrounding whitespace from pretty-printed XML', () => {
    assert.deepEqual(parseUtcDateTime(' 20240115T000000Z '), { kind: 'ok', ms: Date.UTC(2024, 0, 15) });
  });

  it('a span overlaps when it starts before the range ends and ends after it starts; an instant when start <= it < end', () => {
    const range = { start: 10, end: 20 };
    assert.equal(overlaps(range, 5, 11), true);
    assert.equal(overlaps(range, 5, 10), false);
    assert.equal(overlaps(range, 19, 30), true);
    assert.equal(overlaps(range, 20, 30), false);
    assert.equal(overlaps(range, 10, 10), true);
    assert.equal(overlaps(range, 20, 20), false);
  });
});
