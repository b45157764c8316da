import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateICalendar, type CalendarValidation } from '../../src/protocols/dav/caldav/icalendar.ts';
import { crlf, fixture, fixtureBytes } from './fixtures.ts';

const everyComponent = { allowedComponents: ['VEVENT', 'VTODO', 'VJOURNAL'] as Array<'VEVENT' | 'VTODO' | 'VJOURNAL'> };

function calendar(...lines: string[]): string {
  return crlf('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Holdfast//tests//EN', ...lines, 'END:VCALENDAR');
}

function event(uid: string, ...lines: string[]): string[] {
  return ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20240101T000000Z', ...lines, 'END:VEVENT'];
}

function expectInvalid(result: CalendarValidation, precondition: string, pattern: RegExp): void {
  assert.equal(result.kind, 'invalid', JSON.stringify(result));
  if (result.kind !== 'invalid') return;
  assert.equal(result.precondition, precondition, result.message);
  assert.match(result.message, pattern);
}

void describe('validateICalendar: what a PUT to a calendar must satisfy (RFC 4791 §4.1, §5.3.2.1)', () => {
  void describe('real clients', () => {
    const cases: Array<[string, string, string]> = [
      ['thunderbird-event.ics', '5f2c1a3e-7b4d-4c8e-9f1a-2b3c4d5e6f70', 'VEVENT'],
      ['google-recurring-with-exception.ics', '7kukuqrfedlm2f9t0vr8jk1ckb@google.com', 'VEVENT'],
      ['apple-event-with-vtimezone.ics', '3C8E1F0A-9B2D-4E5F-8A7B-6C5D4E3F2A1B', 'VEVENT'],
      [
        'outlook-all-day.ics',
        '040000008200E00074C5B7101A82E00800000000D0F5B1C85A60DA01000000000000000010000000A5E9C1F7C2B3D94E8F1A2B3C4D5E6F70',
        'VEVENT',
      ],
      ['evolution-todo.ics', '20240112T101500Z-48213-1000-1-7@workstation', 'VTODO'],
      ['evolution-memo.ics', '20240112T111500Z-48213-1000-1-9@workstation', 'VJOURNAL'],
      ['ios-reminder.ics', '4B8F2A1C-7D3E-4F5A-9B6C-1D2E3F4A5B6C', 'VTODO'],
    ];
    for (const [file, uid, component] of cases) {
      it(`accepts ${file} and reports its UID and component`, () => {
        assert.deepEqual(validateICalendar(fixtureBytes(file), everyComponent), { kind: 'valid', uid, component });
      });
    }

    it('accepts a master with an overridden instance sharing its UID (Google)', () => {
      assert.equal(validateICalendar(fixture('google-recurring-with-exception.ics'), everyComponent).kind, 'valid');
    });

    it('refuses an Outlook .ics export because it carries METHOD:PUBLISH (valid-calendar-object-resource)', () => {
      expectInvalid(validateICalendar(fixture('outlook-export-with-method.ics'), everyComponent), 'valid-calendar-object-resource', /METHOD/);
    });
  });

  void describe('valid-calendar-object-resource', () => {
    it('refuses a component without UID, saying so', () => {
      const body = calendar('BEGIN:VEVENT', 'DTSTART:20240101T100000Z', 'END:VEVENT');
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-object-resource', /no UID/);
    });

    it('refuses two events with different UIDs in one resource', () => {
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z'), ...event('b', 'DTSTART:20240102T100000Z'));
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-object-resource', /2 different UIDs/);
    });

    it('refuses a VEVENT and a VTODO in one resource', () => {
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z'), 'BEGIN:VTODO', 'UID:a', 'END:VTODO');
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-object-resource', /mixes VEVENT and VTODO/);
    });

    it('refuses two masters (no RECURRENCE-ID) for one UID', () => {
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z'), ...event('a', 'DTSTART:20240102T100000Z'));
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-object-resource', /only one can be the master/);
    });

    it('refuses two overrides of the same instance', () => {
      const override = ['RECURRENCE-ID:20240108T100000Z', 'DTSTART:20240109T100000Z'];
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z', 'RRULE:FREQ=WEEKLY'), ...event('a', ...override), ...event('a', ...override));
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-object-resource', /same instance/);
    });

    it('accepts overridden instances without their master (an invitation to some instances only)', () => {
      const body = calendar(...event('a', 'RECURRENCE-ID:20240108T100000Z', 'DTSTART:20240109T100000Z'));
      assert.equal(validateICalendar(body, everyComponent).kind, 'valid');
    });

    it('refuses a VCALENDAR with only a VTIMEZONE', () => {
      const body = calendar('BEGIN:VTIMEZONE', 'TZID:UTC', 'BEGIN:STANDARD', 'DTSTART:19700101T000000', 'TZOFFSETFROM:+0000', 'TZOFFSETTO:+0000', 'END:STANDARD', 'END:VTIMEZONE');
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-object-resource', /holds no VEVENT/);
    });
  });

  void describe('supported-calendar-component', () => {
    it('refuses a VTODO in a calendar that holds events only', () => {
      const result = validateICalendar(fixture('evolution-todo.ics'), { allowedComponents: ['VEVENT'] });
      expectInvalid(result, 'supported-calendar-component', /accepts VEVENT, not VTODO/);
    });

    it('accepts an iOS reminder in a task list that holds VTODO only', () => {
      assert.equal(validateICalendar(fixture('ios-reminder.ics'), { allowedComponents: ['VTODO'] }).kind, 'valid');
    });

    it('refuses a VFREEBUSY, which no calendar stores', () => {
      const body = calendar('BEGIN:VFREEBUSY', 'UID:f', 'DTSTAMP:20240101T000000Z', 'END:VFREEBUSY');
      expectInvalid(validateICalendar(body, everyComponent), 'supported-calendar-component', /VFREEBUSY/);
    });
  });

  void describe('supported-calendar-data', () => {
    it('refuses a vCard sent to a calendar', () => {
      expectInvalid(validateICalendar(fixture('davx5-contact-v3.vcf'), everyComponent), 'supported-calendar-data', /VCARD/);
    });

    it('refuses iCalendar VERSION 1.0 (vCalendar)', () => {
      const body = crlf('BEGIN:VCALENDAR', 'VERSION:1.0', ...event('a', 'DTSTART:20240101T100000Z'), 'END:VCALENDAR');
      expectInvalid(validateICalendar(body, everyComponent), 'supported-calendar-data', /VERSION:2\.0/);
    });
  });

  void describe('valid-calendar-data', () => {
    it('refuses an empty body', () => {
      expectInvalid(validateICalendar('', everyComponent), 'valid-calendar-data', /empty/);
    });

    it('refuses text that is not iCalendar', () => {
      expectInvalid(validateICalendar('<html>hello</html>', everyComponent), 'valid-calendar-data', /cannot be parsed/);
    });

    it('refuses two VCALENDARs in one body', () => {
      const one = calendar(...event('a', 'DTSTART:20240101T100000Z'));
      expectInvalid(validateICalendar(one + one, everyComponent), 'valid-calendar-data', /exactly one VCALENDAR/);
    });

    it('refuses bytes that are not UTF-8', () => {
      const [before, after] = calendar(...event('a', 'DTSTART:20240101T100000Z', 'SUMMARY:Caf#')).split('#') as [string, string];
      // "Café" written in Latin-1, as an old exporter might.
      const body = Buffer.concat([Buffer.from(before), Buffer.from([0xe9]), Buffer.from(after)]);
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-data', /UTF-8/);
    });

    it('refuses a date that does not exist (30 February)', () => {
      expectInvalid(validateICalendar(calendar(...event('a', 'DTSTART:20240230T100000Z')), everyComponent), 'valid-calendar-data', /DTSTART/);
    });

    it('refuses an unreadable DURATION', () => {
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z', 'DURATION:PT1X'));
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-data', /DURATION/);
    });

    it('refuses an unknown RRULE frequency', () => {
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z', 'RRULE:FREQ=SOMETIMES'));
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-data', /SOMETIMES/);
    });

    it('refuses a VEVENT without DTSTART', () => {
      expectInvalid(validateICalendar(calendar(...event('a', 'SUMMARY:When?')), everyComponent), 'valid-calendar-data', /no DTSTART/);
    });

    it('refuses DTEND together with DURATION', () => {
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z', 'DTEND:20240101T110000Z', 'DURATION:PT1H'));
      expectInvalid(validateICalendar(body, everyComponent), 'valid-calendar-data', /both DTEND and DURATION/);
    });

    it('refuses a body larger than the sanity bound', () => {
      const body = calendar(...event('a', 'DTSTART:20240101T100000Z', `DESCRIPTION:${'x'.repeat(500)}`));
      expectInvalid(validateICalendar(body, { ...everyComponent, maxBytes: 200 }), 'valid-calendar-data', /more than the 200 accepted/);
    });

    it('accepts a TZID without a VTIMEZONE (RFC 7809 lets clients omit standard zones)', () => {
      const body = calendar(...event('a', 'DTSTART;TZID=Europe/Berlin:20240101T100000'));
      assert.equal(validateICalendar(body, everyComponent).kind, 'valid');
    });
  });
});
