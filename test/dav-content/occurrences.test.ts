import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseComponents } from '../../src/protocols/dav/carddav/parse-content.ts';
import { expandInstances, recurrenceSets, type RecurrenceSet } from '../../src/protocols/dav/caldav/occurrences.ts';
import { createRandom } from '../seeded-random.ts';
import { crlf } from './fixtures.ts';

function setOf(...lines: string[]): RecurrenceSet {
  const parsed = parseComponents(crlf('BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:r', ...lines, 'END:VEVENT', 'END:VCALENDAR'));
  assert.equal(parsed.kind, 'ok');
  return recurrenceSets(parsed.kind === 'ok' ? parsed.components[0]! : (undefined as never))[0]!;
}

const DAY = 24 * 60 * 60 * 1000;

void describe('recurrence expansion', () => {
  it('skipping ahead finds exactly the instances that walking from DTSTART finds (randomised; HOLDFAST_SEED replays)', (t) => {
    const seed = Number(process.env['HOLDFAST_SEED'] ?? Date.now() % 2 ** 31);
    t.diagnostic(`seed ${seed} (replay with HOLDFAST_SEED=${seed})`);
    const random = createRandom(seed);
    const pick = <T>(items: readonly T[]): T => random.pick(items);
    for (let round = 0; round < 15; round++) {
      const rule = pick([
        'FREQ=DAILY',
        'FREQ=DAILY;INTERVAL=3',
        'FREQ=DAILY;BYDAY=MO,WE,FR',
        'FREQ=DAILY;INTERVAL=2;BYDAY=TU,SA',
        'FREQ=WEEKLY',
        'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH',
        'FREQ=WEEKLY;BYDAY=SU;WKST=SU',
        'FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,WE',
      ]);
      const zone = pick(['', ';TZID=Europe/Berlin', ';TZID=America/New_York']);
      const startDay = 1 + Math.floor(random.next() * 28);
      const dtstart = `DTSTART${zone}:2001${String(1 + Math.floor(random.next() * 12)).padStart(2, '0')}${String(startDay).padStart(2, '0')}T0${Math.floor(random.next() * 10)}3000`;
      const set = setOf(dtstart, 'DURATION:PT2H', `RRULE:${rule}`, 'EXDATE:20150105T093000Z');
      const windowStart = Date.UTC(2012 + Math.floor(random.next() * 10), Math.floor(random.next() * 12), 1 + Math.floor(random.next() * 28));
      const window = { start: windowStart, end: windowStart + (1 + Math.floor(random.next() * 40)) * DAY };
      const skipped = expandInstances(set, window).instances.map((instance) => instance.start);
      // The reference walks from DTSTART (an unbounded start disables skipping) and keeps the same instances.
      const walked = expandInstances(set, { start: -Infinity, end: window.end })
        .instances.filter((instance) => (instance.end ?? instance.start!) >= window.start)
        .map((instance) => instance.start);
      assert.deepEqual(skipped, walked, `seed ${seed}, round ${round}: ${dtstart} ${rule} window ${new Date(window.start).toISOString()}`);
    }
  });

  it('DTSTART is the first instance even when only RDATEs recur', () => {
    const set = setOf('DTSTART:20240301T100000Z', 'RDATE:20240305T100000Z');
    const starts = expandInstances(set, { start: -Infinity, end: Infinity }).instances.map((instance) => instance.start);
    assert.deepEqual(starts, [Date.UTC(2024, 2, 1, 10), Date.UTC(2024, 2, 5, 10)]);
  });

  it('an RDATE equal to an RRULE occurrence is one instance, not two', () => {
    const set = setOf('DTSTART:20240301T100000Z', 'RRULE:FREQ=DAILY;COUNT=3', 'RDATE:20240302T100000Z');
    assert.equal(expandInstances(set, { start: -Infinity, end: Infinity }).instances.length, 3);
  });

  it('an EXDATE still applies after EXDATEs that match no occurrence (ical.js RecurExpansion misses it)', () => {
    const set = setOf('DTSTART:20240101T100000Z', 'RRULE:FREQ=DAILY;COUNT=4', 'EXDATE:20240101T120000Z,20240102T050000Z,20240103T100000Z');
    const starts = expandInstances(set, { start: -Infinity, end: Infinity }).instances.map((instance) => instance.start);
    assert.deepEqual(starts, [Date.UTC(2024, 0, 1, 10), Date.UTC(2024, 0, 2, 10), Date.UTC(2024, 0, 4, 10)]);
  });

  it('a DATE EXDATE removes the instance on that day', () => {
    const set = setOf('DTSTART;VALUE=DATE:20240301', 'RRULE:FREQ=DAILY;COUNT=3', 'EXDATE;VALUE=DATE:20240302');
    const starts = expandInstances(set, { start: -Infinity, end: Infinity }).instances.map((instance) => instance.start);
    assert.deepEqual(starts, [Date.UTC(2024, 2, 1), Date.UTC(2024, 2, 3)]);
  });

  it('stops at the window end without walking the rest of an open-ended rule', () => {
    const set = setOf('DTSTART:20240301T100000Z', 'RRULE:FREQ=MINUTELY');
    const expansion = expandInstances(set, { start: Date.UTC(2024, 2, 1, 10), end: Date.UTC(2024, 2, 1, 10, 5) });
    // 10:00 to 10:05 inclusive: an instance starting exactly at the window's end is kept,
    // because a VTODO's DUE there still overlaps (RFC 4791 §9.9: end >= DUE).
    assert.equal(expansion.instances.length, 6);
    assert.equal(expansion.exhausted, false);
  });
});
