import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import { expandCalendarData, parseExpandRange } from '../../src/protocols/dav/caldav/expand.ts';
import { MAX_INSTANCES_EXAMINED } from '../../src/protocols/dav/caldav/occurrences.ts';
import { crlf, fixture } from './fixtures.ts';
import { cal } from './xml-builder.ts';

const google = fixture('google-recurring-with-exception.ics');
const apple = fixture('apple-event-with-vtimezone.ics');
const outlook = fixture('outlook-all-day.ics');
const thunderbird = fixture('thunderbird-event.ics');
const reminder = fixture('ios-reminder.ics');
const evolutionTodo = fixture('evolution-todo.ics');

/** Outlook's all-day event made a weekly series of three, the way Outlook writes its RRULE after DTSTART. */
const outlookSeries = outlook.replace('DTSTART;VALUE=DATE:20240301\r\n', 'DTSTART;VALUE=DATE:20240301\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\n');

function calendar(...lines: string[]): string {
  return crlf('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Holdfast//tests//EN', ...lines, 'END:VCALENDAR');
}

/** A UTC range from two basic-form strings, as a client writes them in <C:expand>. */
function range(start: string, end: string): { start: number; end: number } {
  const parsed = parseExpandRange(cal('expand', { start, end }));
  assert.equal(parsed.kind, 'ok', JSON.stringify(parsed));
  return (parsed as { range: { start: number; end: number } }).range;
}

interface Expanded {
  name: string;
  summary: unknown;
  /** ISO instants in UTC, or the DATE as written for all-day values. */
  recurrenceId: string | undefined;
  start: string | undefined;
  end: string | undefined;
  due: string | undefined;
  duration: string | undefined;
}

function timeOf(component: ICAL.Component, name: string): string | undefined {
  const value: unknown = component.getFirstPropertyValue(name);
  if (!(value instanceof ICAL.Time)) return undefined;
  return value.isDate ? `date ${value.toString()}` : value.toJSDate().toISOString();
}

/** Parses expanded calendar-data back with ical.js: the components it holds, with their times in UTC. */
function readBack(text: string): { calendar: ICAL.Component; components: Expanded[] } {
  const calendar = new ICAL.Component(ICAL.parse(text) as unknown[]);
  const components = calendar.getAllSubcomponents().map((component) => {
    const duration: unknown = component.getFirstPropertyValue('duration');
    return {
      name: component.name,
      summary: component.getFirstPropertyValue('summary'),
      recurrenceId: timeOf(component, 'recurrence-id'),
      start: timeOf(component, 'dtstart'),
      end: timeOf(component, 'dtend'),
      due: timeOf(component, 'due'),
      duration: duration instanceof ICAL.Duration ? duration.toString() : undefined,
    };
  });
  return { calendar, components };
}

/** What every expanded result must be, whatever it holds (RFC 4791 §9.6.5, RFC 5545 §3.1). */
function assertWellFormed(text: string, original: string): void {
  assert.ok(text.endsWith('\r\n'), 'ends with CRLF');
  assert.equal(text.replace(/\r\n/g, '').includes('\n'), false, 'no bare LF');
  for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `line longer than 75 octets: ${line}`);
  assert.doesNotMatch(text, /^(RRULE|RDATE|EXDATE|EXRULE)[;:]/m, 'no recurrence properties');
  assert.doesNotMatch(text, /VTIMEZONE|TZID=/, 'no time zone references');
  const { calendar } = readBack(text);
  const originalCalendar = new ICAL.Component(ICAL.parse(original) as unknown[]);
  for (const name of ['version', 'prodid']) assert.equal(calendar.getFirstPropertyValue(name), originalCalendar.getFirstPropertyValue(name), name);
}

function expand(ics: string, start: string, end: string, options?: { floatingTimeZone?: string }): Expanded[] {
  const text = expandCalendarData(ics, range(start, end), options);
  assertWellFormed(text, ics);
  return readBack(text).components;
}

void describe('CALDAV:expand (RFC 4791 §9.6.5)', () => {
  void describe('parseExpandRange', () => {
    it('reads start and end as UTC instants', () => {
      assert.deepEqual(parseExpandRange(cal('expand', { start: '20260309T000000Z', end: '20260317T000000Z' })), {
        kind: 'ok',
        range: { start: Date.UTC(2026, 2, 9), end: Date.UTC(2026, 2, 17) },
      });
    });

    it('refuses a missing start or end: expand needs both', () => {
      assert.equal(parseExpandRange(cal('expand', { start: '20260309T000000Z' })).kind, 'invalid');
      assert.equal(parseExpandRange(cal('expand', { end: '20260309T000000Z' })).kind, 'invalid');
      assert.equal(parseExpandRange(cal('expand')).kind, 'invalid');
    });

    it('refuses times that are not in UTC basic form', () => {
      assert.equal(parseExpandRange(cal('expand', { start: '20260309T000000', end: '20260317T000000Z' })).kind, 'invalid');
      assert.equal(parseExpandRange(cal('expand', { start: '2026-03-09T00:00:00Z', end: '20260317T000000Z' })).kind, 'invalid');
      assert.equal(parseExpandRange(cal('expand', { start: '20260230T000000Z', end: '20260317T000000Z' })).kind, 'invalid');
    });

    it('refuses a start that is not before the end', () => {
      const same = parseExpandRange(cal('expand', { start: '20260309T000000Z', end: '20260309T000000Z' }));
      assert.equal(same.kind, 'invalid');
      assert.match((same as { message: string }).message, /not before/);
      assert.equal(parseExpandRange(cal('expand', { start: '20260317T000000Z', end: '20260309T000000Z' })).kind, 'invalid');
    });
  });

  it('a weekly series of six gives exactly the two instances in the range, each with its RECURRENCE-ID and no RRULE', () => {
    const ics = calendar(
      'BEGIN:VEVENT',
      'UID:weekly-six',
      'DTSTAMP:20260301T000000Z',
      'DTSTART:20260302T080000Z',
      'DTEND:20260302T090000Z',
      'RRULE:FREQ=WEEKLY;COUNT=6',
      'SUMMARY:Stand-up',
      'END:VEVENT',
    );
    const text = expandCalendarData(ics, range('20260309T000000Z', '20260317T000000Z'));
    assertWellFormed(text, ics);
    assert.deepEqual(readBack(text).components, [
      { name: 'vevent', summary: 'Stand-up', recurrenceId: '2026-03-09T08:00:00.000Z', start: '2026-03-09T08:00:00.000Z', end: '2026-03-09T09:00:00.000Z', due: undefined, duration: undefined },
      { name: 'vevent', summary: 'Stand-up', recurrenceId: '2026-03-16T08:00:00.000Z', start: '2026-03-16T08:00:00.000Z', end: '2026-03-16T09:00:00.000Z', due: undefined, duration: undefined },
    ]);
    assert.match(text, /^RECURRENCE-ID:20260309T080000Z\r$/m);
    assert.match(text, /^DTSTART:20260316T080000Z\r$/m);
    assert.doesNotMatch(text, /RRULE/);
  });

  void describe('Google recurring event with an EXDATE and a moved instance', () => {
    it('gives the series in UTC, without the EXDATE’d instance, with the override at its new time', () => {
      const instances = expand(google, '20240101T000000Z', '20240201T000000Z');
      assert.deepEqual(
        instances.map(({ recurrenceId, start, end, summary }) => ({ recurrenceId, start, end, summary })),
        [
          { recurrenceId: '2024-01-08T14:30:00.000Z', start: '2024-01-08T14:30:00.000Z', end: '2024-01-08T15:00:00.000Z', summary: 'Weekly planning' },
          // 15 January is in EXDATE; 22 January was moved to Wednesday 24 January 14:00 New York.
          {
            recurrenceId: '2024-01-22T14:30:00.000Z',
            start: '2024-01-24T19:00:00.000Z',
            end: '2024-01-24T19:30:00.000Z',
            summary: 'Weekly planning (moved to Wednesday)',
          },
          { recurrenceId: '2024-01-29T14:30:00.000Z', start: '2024-01-29T14:30:00.000Z', end: '2024-01-29T15:00:00.000Z', summary: 'Weekly planning' },
        ],
      );
    });

    it('the override appears where it moved to, not where the instance was', () => {
      assert.deepEqual(expand(google, '20240122T000000Z', '20240123T000000Z'), []);
      const moved = expand(google, '20240124T000000Z', '20240125T000000Z');
      assert.deepEqual(
        moved.map(({ recurrenceId, start }) => ({ recurrenceId, start })),
        [{ recurrenceId: '2024-01-22T14:30:00.000Z', start: '2024-01-24T19:00:00.000Z' }],
      );
    });

    it('a range holding only the EXDATE’d instance gives no instance', () => {
      assert.deepEqual(expand(google, '20240115T000000Z', '20240116T000000Z'), []);
    });

    it('keeps the properties of the master on each instance and of the override on its own', () => {
      const text = expandCalendarData(google, range('20240101T000000Z', '20240201T000000Z'));
      const { calendar: expanded } = readBack(text);
      const [first, moved] = expanded.getAllSubcomponents('vevent');
      assert.equal(first?.getFirstPropertyValue('uid'), '7kukuqrfedlm2f9t0vr8jk1ckb@google.com');
      assert.match(String(first?.getFirstPropertyValue('description')), /Google Meet/);
      assert.equal(moved?.getFirstPropertyValue('sequence'), 1);
      assert.equal(expanded.getFirstPropertyValue('calscale'), 'GREGORIAN');
    });
  });

  it('Apple’s Berlin series across the start of summer time: 10:00 local is 09:00 UTC, then 08:00 UTC', () => {
    const instances = expand(apple, '20240301T000000Z', '20240501T000000Z');
    assert.deepEqual(
      instances.map(({ recurrenceId, start, end }) => ({ recurrenceId, start, end })),
      [
        { recurrenceId: '2024-03-23T09:00:00.000Z', start: '2024-03-23T09:00:00.000Z', end: '2024-03-23T10:00:00.000Z' },
        { recurrenceId: '2024-03-30T09:00:00.000Z', start: '2024-03-30T09:00:00.000Z', end: '2024-03-30T10:00:00.000Z' },
        { recurrenceId: '2024-04-06T08:00:00.000Z', start: '2024-04-06T08:00:00.000Z', end: '2024-04-06T09:00:00.000Z' },
        { recurrenceId: '2024-04-13T08:00:00.000Z', start: '2024-04-13T08:00:00.000Z', end: '2024-04-13T09:00:00.000Z' },
      ],
    );
  });

  it('each instance keeps its VALARM', () => {
    const { calendar: expanded } = readBack(expandCalendarData(apple, range('20240301T000000Z', '20240501T000000Z')));
    for (const event of expanded.getAllSubcomponents('vevent')) assert.equal(event.getAllSubcomponents('valarm').length, 1);
  });

  it('an all-day series keeps DATE values, moved to each instance', () => {
    const instances = expand(outlookSeries, '20240305T000000Z', '20240320T000000Z');
    assert.deepEqual(
      instances.map(({ recurrenceId, start, end }) => ({ recurrenceId, start, end })),
      [
        { recurrenceId: 'date 2024-03-08', start: 'date 2024-03-08', end: 'date 2024-03-09' },
        { recurrenceId: 'date 2024-03-15', start: 'date 2024-03-15', end: 'date 2024-03-16' },
      ],
    );
    const text = expandCalendarData(outlookSeries, range('20240305T000000Z', '20240312T000000Z'));
    assert.match(text, /^DTSTART;VALUE=DATE:20240308\r$/m);
    assert.match(text, /^RECURRENCE-ID;VALUE=DATE:20240308\r$/m);
  });

  it('an all-day series read in the calendar’s time zone finds the day that zone’s midnight begins', () => {
    // Midnight in Berlin on 8 March is 23:00 UTC on the 7th, inside this range; UTC midnight on the 8th is not.
    const instances = expand(outlookSeries, '20240307T220000Z', '20240307T235959Z', { floatingTimeZone: 'Europe/Berlin' });
    assert.deepEqual(instances.map(({ start }) => start), ['date 2024-03-08']);
  });

  void describe('a non-recurring event', () => {
    it('is returned as it is, in UTC and without RECURRENCE-ID, when it overlaps', () => {
      const [event, ...rest] = expand(thunderbird, '20240115T110000Z', '20240116T000000Z');
      assert.deepEqual(rest, []);
      assert.deepEqual(event, {
        name: 'vevent',
        summary: 'Quarterly review with the finance team',
        recurrenceId: undefined,
        start: '2024-01-15T10:00:00.000Z',
        end: '2024-01-15T11:30:00.000Z',
        due: undefined,
        duration: undefined,
      });
      const text = expandCalendarData(thunderbird, range('20240115T110000Z', '20240116T000000Z'));
      assert.match(text, /ATTENDEE;CN=Bob Example/);
      assert.match(text, /BEGIN:VALARM/);
    });

    it('gives no event when it ends at the range’s start', () => {
      assert.deepEqual(expand(thunderbird, '20240115T113000Z', '20240116T000000Z'), []);
    });

    it('an all-day event is returned with its DATE values', () => {
      const [event] = expand(outlook, '20240301T120000Z', '20240301T130000Z');
      assert.equal(event?.start, 'date 2024-03-01');
      assert.equal(event?.end, 'date 2024-03-02');
      assert.equal(event?.recurrenceId, undefined);
    });
  });

  void describe('VTODO', () => {
    it('iOS reminder: DTSTART and DUE in Berlin become UTC', () => {
      const [task] = expand(reminder, '20240116T000000Z', '20240117T000000Z');
      assert.equal(task?.name, 'vtodo');
      assert.equal(task?.start, '2024-01-16T08:00:00.000Z');
      assert.equal(task?.due, '2024-01-16T08:00:00.000Z');
      assert.equal(task?.recurrenceId, undefined);
    });

    it('Evolution task with DATE DTSTART and DUE is kept when the range falls between them', () => {
      const [task] = expand(evolutionTodo, '20240125T000000Z', '20240126T000000Z');
      assert.equal(task?.start, 'date 2024-01-20');
      assert.equal(task?.due, 'date 2024-01-31');
    });

    it('a recurring task moves DUE with each instance', () => {
      const ics = calendar(
        'BEGIN:VTODO',
        'UID:daily-task',
        'DTSTAMP:20240101T000000Z',
        'DTSTART;TZID=Europe/Berlin:20240329T090000',
        'DUE;TZID=Europe/Berlin:20240329T100000',
        'RRULE:FREQ=DAILY;COUNT=4',
        'SUMMARY:Water the plants',
        'END:VTODO',
      );
      // No VTIMEZONE: the IANA name is resolved by the runtime; summer time starts on 31 March.
      const tasks = expand(ics, '20240330T000000Z', '20240401T000000Z');
      assert.deepEqual(
        tasks.map(({ recurrenceId, start, due }) => ({ recurrenceId, start, due })),
        [
          { recurrenceId: '2024-03-30T08:00:00.000Z', start: '2024-03-30T08:00:00.000Z', due: '2024-03-30T09:00:00.000Z' },
          { recurrenceId: '2024-03-31T07:00:00.000Z', start: '2024-03-31T07:00:00.000Z', due: '2024-03-31T08:00:00.000Z' },
        ],
      );
    });
  });

  it('an event with DURATION keeps DURATION and gets no DTEND', () => {
    const ics = calendar('BEGIN:VEVENT', 'UID:d', 'DTSTAMP:20240101T000000Z', 'DTSTART:20240101T100000Z', 'DURATION:PT45M', 'RRULE:FREQ=DAILY', 'END:VEVENT');
    assert.deepEqual(expand(ics, '20240103T000000Z', '20240104T000000Z'), [
      { name: 'vevent', summary: null, recurrenceId: '2024-01-03T10:00:00.000Z', start: '2024-01-03T10:00:00.000Z', end: undefined, due: undefined, duration: 'PT45M' },
    ]);
  });

  it('floating times are read in the calendar’s time zone and written in UTC', () => {
    const ics = calendar('BEGIN:VEVENT', 'UID:f', 'DTSTAMP:20240101T000000Z', 'DTSTART:20260302T090000', 'DTEND:20260302T100000', 'RRULE:FREQ=WEEKLY', 'END:VEVENT');
    const [event] = expand(ics, '20260309T000000Z', '20260310T000000Z', { floatingTimeZone: 'Europe/Berlin' });
    assert.equal(event?.start, '2026-03-09T08:00:00.000Z');
    assert.equal(event?.end, '2026-03-09T09:00:00.000Z');
    assert.equal(event?.recurrenceId, '2026-03-09T08:00:00.000Z');
  });

  it(`stops at MAX_INSTANCES_EXAMINED (${MAX_INSTANCES_EXAMINED}) instances`, () => {
    const ics = calendar('BEGIN:VEVENT', 'UID:m', 'DTSTAMP:20240101T000000Z', 'DTSTART:20240101T000000Z', 'DURATION:PT10M', 'RRULE:FREQ=MINUTELY;INTERVAL=30', 'END:VEVENT');
    const text = expandCalendarData(ics, range('20240101T000000Z', '20250101T000000Z'));
    assert.equal(text.match(/^BEGIN:VEVENT\r$/gm)?.length, MAX_INSTANCES_EXAMINED);
  });

  it('folds long lines at 75 octets without splitting a UTF-8 character', () => {
    const summary = 'Überraschungsparty für Jürgen – ' + 'ü'.repeat(60) + ' 🎉🎉🎉';
    const ics = calendar('BEGIN:VEVENT', 'UID:u', 'DTSTAMP:20240101T000000Z', 'DTSTART:20240101T100000Z', `SUMMARY:${summary}`, 'END:VEVENT');
    const [event] = expand(ics, '20240101T000000Z', '20240102T000000Z');
    assert.equal(event?.summary, summary);
  });

  it('text ical.js cannot parse is returned unchanged', () => {
    assert.equal(expandCalendarData('not a calendar', range('20240101T000000Z', '20240102T000000Z')), 'not a calendar');
  });
});
