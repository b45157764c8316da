import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import { freeBusy, parseFreeBusyRange } from '../../src/protocols/dav/caldav/free-busy.ts';
import { validateICalendar } from '../../src/protocols/dav/caldav/icalendar.ts';
import { parseUtcDateTime } from '../../src/protocols/dav/caldav/time-range.ts';
import { crlf, fixture } from './fixtures.ts';
import { cal } from './xml-builder.ts';

const now = new Date(Date.UTC(2024, 0, 1));
function utc(text: string): Date {
  const parsed = parseUtcDateTime(text);
  assert.equal(parsed.kind, 'ok');
  return new Date(parsed.kind === 'ok' ? parsed.ms : NaN);
}

/** The FREEBUSY lines of a free-busy answer, as "TYPE start/end". */
function busyLines(ics: string): string[] {
  return ics
    .split('\r\n')
    .filter((line) => line.startsWith('FREEBUSY'))
    .map((line) => line.replace(/^FREEBUSY;FBTYPE=/, '').replace(':', ' '));
}

function event(uid: string, ...lines: string[]): string {
  return crlf('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Holdfast//tests//EN', 'BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20240101T000000Z', ...lines, 'END:VEVENT', 'END:VCALENDAR');
}

void describe('freeBusy: the VFREEBUSY of a free-busy-query (RFC 4791 §7.10)', () => {
  it('answers a VCALENDAR with one VFREEBUSY spanning the range, which parses and validates as iCalendar', () => {
    const answer = freeBusy([fixture('thunderbird-event.ics')], { start: utc('20240115T000000Z'), end: utc('20240116T000000Z') }, { now });
    const calendar = new ICAL.Component(ICAL.parse(answer) as unknown[]);
    const vfreebusy = calendar.getFirstSubcomponent('vfreebusy');
    assert.ok(vfreebusy);
    assert.equal(String(vfreebusy.getFirstPropertyValue('dtstart')), '2024-01-15T00:00:00Z');
    assert.equal(String(vfreebusy.getFirstPropertyValue('dtend')), '2024-01-16T00:00:00Z');
    assert.match(answer, /\r\nDTSTAMP:20240101T000000Z\r\n/);
    assert.ok(answer.split('\r\n').every((line) => Buffer.byteLength(line) <= 75));
    // It is not a storable calendar object (no UID), and need not be; it must still parse.
    assert.equal(validateICalendar(answer, { allowedComponents: ['VEVENT'] }).kind, 'invalid');
  });

  it('a tentative event is BUSY-TENTATIVE, with its TZID resolved (Thunderbird)', () => {
    const answer = freeBusy([fixture('thunderbird-event.ics')], { start: utc('20240115T000000Z'), end: utc('20240116T000000Z') }, { now });
    assert.deepEqual(busyLines(answer), ['BUSY-TENTATIVE 20240115T100000Z/20240115T113000Z']);
  });

  it('a transparent all-day event leaves the time free (Outlook)', () => {
    const answer = freeBusy([fixture('outlook-all-day.ics')], { start: utc('20240301T000000Z'), end: utc('20240302T000000Z') }, { now });
    assert.deepEqual(busyLines(answer), []);
  });

  it('a cancelled event leaves the time free', () => {
    const cancelled = event('c', 'DTSTART:20240301T100000Z', 'DTEND:20240301T110000Z', 'STATUS:CANCELLED');
    assert.deepEqual(busyLines(freeBusy([cancelled], { start: utc('20240301T000000Z'), end: utc('20240302T000000Z') }, { now })), []);
  });

  it('recurring instances are expanded, without the EXDATE and with the overridden instance where it moved (Google)', () => {
    const answer = freeBusy([fixture('google-recurring-with-exception.ics')], { start: utc('20240108T000000Z'), end: utc('20240130T000000Z') }, { now });
    assert.deepEqual(busyLines(answer), [
      'BUSY 20240108T143000Z/20240108T150000Z',
      'BUSY 20240124T190000Z/20240124T193000Z',
      'BUSY 20240129T143000Z/20240129T150000Z',
    ]);
  });

  it('instances follow their time zone across DST (Apple, Berlin)', () => {
    const answer = freeBusy([fixture('apple-event-with-vtimezone.ics')], { start: utc('20240329T000000Z'), end: utc('20240408T000000Z') }, { now });
    assert.deepEqual(busyLines(answer), ['BUSY 20240330T090000Z/20240330T100000Z', 'BUSY 20240406T080000Z/20240406T090000Z']);
  });

  it('periods are clipped to the range', () => {
    const long = event('l', 'DTSTART:20240301T080000Z', 'DTEND:20240301T180000Z');
    assert.deepEqual(busyLines(freeBusy([long], { start: utc('20240301T120000Z'), end: utc('20240301T130000Z') }, { now })), [
      'BUSY 20240301T120000Z/20240301T130000Z',
    ]);
  });

  it('overlapping and touching busy periods from different objects merge into one', () => {
    const a = event('a', 'DTSTART:20240301T090000Z', 'DTEND:20240301T100000Z');
    const b = event('b', 'DTSTART:20240301T093000Z', 'DTEND:20240301T103000Z');
    const c = event('c', 'DTSTART:20240301T103000Z', 'DURATION:PT30M');
    const d = event('d', 'DTSTART:20240301T140000Z', 'DURATION:PT1H');
    assert.deepEqual(busyLines(freeBusy([a, b, c, d], { start: utc('20240301T000000Z'), end: utc('20240302T000000Z') }, { now })), [
      'BUSY 20240301T090000Z/20240301T110000Z',
      'BUSY 20240301T140000Z/20240301T150000Z',
    ]);
  });

  it('time that is busy and tentative is reported once, as BUSY', () => {
    const busy = event('b', 'DTSTART:20240301T100000Z', 'DTEND:20240301T110000Z');
    const tentative = event('t', 'DTSTART:20240301T093000Z', 'DTEND:20240301T113000Z', 'STATUS:TENTATIVE');
    assert.deepEqual(busyLines(freeBusy([busy, tentative], { start: utc('20240301T000000Z'), end: utc('20240302T000000Z') }, { now })), [
      'BUSY-TENTATIVE 20240301T093000Z/20240301T100000Z',
      'BUSY 20240301T100000Z/20240301T110000Z',
      'BUSY-TENTATIVE 20240301T110000Z/20240301T113000Z',
    ]);
  });

  it('an overridden instance that is cancelled frees its time; the rest of the series stays busy', () => {
    const series = crlf(
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Holdfast//tests//EN',
      'BEGIN:VEVENT',
      'UID:s',
      'DTSTAMP:20240101T000000Z',
      'DTSTART:20240304T090000Z',
      'DURATION:PT1H',
      'RRULE:FREQ=DAILY;COUNT=3',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:s',
      'DTSTAMP:20240101T000000Z',
      'RECURRENCE-ID:20240305T090000Z',
      'DTSTART:20240305T090000Z',
      'DURATION:PT1H',
      'STATUS:CANCELLED',
      'END:VEVENT',
      'END:VCALENDAR',
    );
    assert.deepEqual(busyLines(freeBusy([series], { start: utc('20240301T000000Z'), end: utc('20240310T000000Z') }, { now })), [
      'BUSY 20240304T090000Z/20240304T100000Z',
      'BUSY 20240306T090000Z/20240306T100000Z',
    ]);
  });

  it('tasks, journals and unparseable objects add nothing', () => {
    const range = { start: utc('20240101T000000Z'), end: utc('20241231T000000Z') };
    assert.deepEqual(busyLines(freeBusy([fixture('evolution-todo.ics'), fixture('evolution-memo.ics'), 'garbage'], range, { now })), []);
  });

  it('an open-ended daily rule over a year-long range stays bounded', () => {
    const daily = event('d', 'DTSTART:20240101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY');
    const started = performance.now();
    const lines = busyLines(freeBusy([daily], { start: utc('20240101T000000Z'), end: utc('20250101T000000Z') }, { now }));
    assert.equal(lines.length, 366);
    assert.ok(performance.now() - started < 3000);
  });

  it('the REPORT\'s time-range must have both start and end', () => {
    assert.deepEqual(parseFreeBusyRange(cal('time-range', { start: '20240101T000000Z', end: '20240108T000000Z' })), {
      kind: 'ok',
      range: { start: new Date(Date.UTC(2024, 0, 1)), end: new Date(Date.UTC(2024, 0, 8)) },
    });
    const open = parseFreeBusyRange(cal('time-range', { start: '20240101T000000Z' }));
    assert.match(open.kind === 'invalid' ? open.message : '', /both start and end/);
    const malformed = parseFreeBusyRange(cal('time-range', { start: '2024-01-01', end: '20240108T000000Z' }));
    assert.match(malformed.kind === 'invalid' ? malformed.message : '', /YYYYMMDDTHHMMSSZ/);
  });
});
