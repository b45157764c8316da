import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ICAL from 'ical.js';
import { parseComponents } from '../../src/protocols/dav/carddav/parse-content.ts';
import { epochMs, timeProperty, zoneOfCalendarTimezone } from '../../src/protocols/dav/caldav/epoch-time.ts';
import { fixture } from './fixtures.ts';

/** A floating ical.js time, as ical.js gives for a TZID it could not resolve. */
const wall = (text: string) => ICAL.Time.fromDateTimeString(text);

void describe('epochMs: iCalendar times as UTC instants', () => {
  it('a UTC time is itself', () => {
    assert.equal(epochMs(ICAL.Time.fromDateTimeString('2024-07-01T10:00:00Z'), undefined), Date.UTC(2024, 6, 1, 10));
  });

  it('a TZID without VTIMEZONE is read with the runtime\'s IANA rules, winter and summer', () => {
    assert.equal(epochMs(wall('2024-01-15T10:00:00'), 'Europe/Berlin'), Date.UTC(2024, 0, 15, 9));
    assert.equal(epochMs(wall('2024-07-15T10:00:00'), 'Europe/Berlin'), Date.UTC(2024, 6, 15, 8));
  });

  it('a wall time skipped by spring-forward is read with the offset from before the gap (RFC 5545 §3.3.5)', () => {
    // 02:30 on 31 March 2024 does not exist in Berlin; read as +01:00 it is 01:30 UTC (03:30 CEST).
    assert.equal(epochMs(wall('2024-03-31T02:30:00'), 'Europe/Berlin'), Date.UTC(2024, 2, 31, 1, 30));
  });

  it('a wall time repeated by fall-back means its first occurrence (RFC 5545 §3.3.5)', () => {
    // 02:30 on 27 October 2024 happens twice in Berlin: first at +02:00 (00:30 UTC).
    assert.equal(epochMs(wall('2024-10-27T02:30:00'), 'Europe/Berlin'), Date.UTC(2024, 9, 27, 0, 30));
  });

  it('a TZID the runtime does not know falls back to the floating zone, then to UTC', () => {
    assert.equal(epochMs(wall('2024-01-15T10:00:00'), 'W. Europe Standard Time'), Date.UTC(2024, 0, 15, 10));
    assert.equal(epochMs(wall('2024-01-15T10:00:00'), 'Nowhere/Special', { floatingTimeZone: 'America/New_York' }), Date.UTC(2024, 0, 15, 15));
  });

  it('a floating time is read in the calendar time zone when given', () => {
    assert.equal(epochMs(wall('2024-01-15T10:00:00'), undefined, { floatingTimeZone: 'Asia/Tokyo' }), Date.UTC(2024, 0, 15, 1));
    assert.equal(epochMs(wall('2024-01-15T10:00:00'), undefined), Date.UTC(2024, 0, 15, 10));
  });

  it('the calendar-timezone property names the floating zone by its TZID or X-LIC-LOCATION', () => {
    const appleZone = fixture('apple-event-with-vtimezone.ics').replace(/BEGIN:VEVENT[\s\S]*END:VEVENT\r\n/, '');
    assert.equal(zoneOfCalendarTimezone(appleZone), 'Europe/Berlin');
    const licLocation = appleZone.replace('TZID:Europe/Berlin', 'TZID:/mozilla.org/20070129_1/Europe/Berlin').replace('BEGIN:DAYLIGHT', 'X-LIC-LOCATION:Europe/Berlin\r\nBEGIN:DAYLIGHT');
    assert.equal(zoneOfCalendarTimezone(licLocation), 'Europe/Berlin');
    assert.equal(zoneOfCalendarTimezone(fixture('outlook-all-day.ics')), undefined);
    assert.equal(zoneOfCalendarTimezone('not a calendar'), undefined);
  });

  void describe('times bound to a VTIMEZONE (Apple, Europe/Berlin) follow the same rules as IANA zones', () => {
    /** DTSTART of the Apple fixture moved to `local`, as a UTC ISO string. */
    const instantOf = (local: string) => {
      const parsed = parseComponents(fixture('apple-event-with-vtimezone.ics').replace('DTSTART;TZID=Europe/Berlin:20240323T100000', `DTSTART;TZID=Europe/Berlin:${local}`));
      assert.equal(parsed.kind, 'ok');
      const event = parsed.kind === 'ok' ? parsed.components[0]!.getFirstSubcomponent('vevent')! : (undefined as never);
      return new Date(timeProperty(event, 'dtstart', {})!.ms).toISOString();
    };

    it('either side of spring-forward, and inside the skipped hour (read with the offset from before it)', () => {
      assert.equal(instantOf('20240331T013000'), '2024-03-31T00:30:00.000Z');
      assert.equal(instantOf('20240331T023000'), '2024-03-31T01:30:00.000Z');
      assert.equal(instantOf('20240331T033000'), '2024-03-31T01:30:00.000Z');
    });

    it('either side of fall-back, and inside the repeated hour (its first occurrence)', () => {
      assert.equal(instantOf('20241027T013000'), '2024-10-26T23:30:00.000Z');
      assert.equal(instantOf('20241027T023000'), '2024-10-27T00:30:00.000Z');
      assert.equal(instantOf('20241027T033000'), '2024-10-27T02:30:00.000Z');
    });
  });
});
