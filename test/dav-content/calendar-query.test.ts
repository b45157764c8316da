import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesCalendarFilter, parseCalendarFilter, type CalendarFilter } from '../../src/protocols/dav/caldav/calendar-query.ts';
import type { ZoneOptions } from '../../src/protocols/dav/caldav/epoch-time.ts';
import type { XmlElement } from '../../src/protocols/dav/xml/xml-element.ts';
import { crlf, fixture } from './fixtures.ts';
import { cal, card } from './xml-builder.ts';

const thunderbird = fixture('thunderbird-event.ics');
const google = fixture('google-recurring-with-exception.ics');
const apple = fixture('apple-event-with-vtimezone.ics');
const outlook = fixture('outlook-all-day.ics');
const todo = fixture('evolution-todo.ics');
const memo = fixture('evolution-memo.ics');
const reminder = fixture('ios-reminder.ics');

function compile(filter: XmlElement): CalendarFilter {
  const result = parseCalendarFilter(filter);
  assert.equal(result.kind, 'ok', JSON.stringify(result));
  return (result as { filter: CalendarFilter }).filter;
}

/** A filter for VCALENDAR > `name`, with the given conditions inside the inner comp-filter. */
function query(name: string, ...conditions: XmlElement[]): CalendarFilter {
  return compile(cal('filter', {}, [cal('comp-filter', { name: 'VCALENDAR' }, [cal('comp-filter', { name }, conditions)])]));
}

const range = (start?: string, end?: string) =>
  cal('time-range', { ...(start ? { start } : {}), ...(end ? { end } : {}) });

const matches = (filter: CalendarFilter, ics: string, options?: ZoneOptions) => matchesCalendarFilter(filter, ics, options);

function calendar(...lines: string[]): string {
  return crlf('BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Holdfast//tests//EN', ...lines, 'END:VCALENDAR');
}

function todoWith(...lines: string[]): string {
  return calendar('BEGIN:VTODO', 'UID:t', 'DTSTAMP:20240101T000000Z', ...lines, 'END:VTODO');
}

function eventWith(...lines: string[]): string {
  return calendar('BEGIN:VEVENT', 'UID:e', 'DTSTAMP:20240101T000000Z', ...lines, 'END:VEVENT');
}

void describe('calendar-query filters (RFC 4791 §9.7)', () => {
  void describe('comp-filter', () => {
    it('VCALENDAR alone matches every calendar object', () => {
      const filter = compile(cal('filter', {}, [cal('comp-filter', { name: 'VCALENDAR' })]));
      for (const ics of [thunderbird, todo, memo]) assert.equal(matches(filter, ics), true);
    });

    it('a component name selects objects holding that component', () => {
      assert.equal(matches(query('VEVENT'), thunderbird), true);
      assert.equal(matches(query('VEVENT'), todo), false);
      assert.equal(matches(query('VTODO'), todo), true);
      assert.equal(matches(query('VJOURNAL'), memo), true);
    });

    it('is-not-defined matches objects without the component', () => {
      assert.equal(matches(query('VTODO', cal('is-not-defined')), thunderbird), true);
      assert.equal(matches(query('VTODO', cal('is-not-defined')), todo), false);
    });

    it('nested comp-filter finds a VALARM inside a VEVENT', () => {
      assert.equal(matches(query('VEVENT', cal('comp-filter', { name: 'VALARM' })), thunderbird), true);
      assert.equal(matches(query('VEVENT', cal('comp-filter', { name: 'VALARM' })), google), false);
    });
  });

  void describe('time-range on VEVENT (RFC 4791 §9.9)', () => {
    it('a timed event overlaps a range that starts inside it, with TZID resolved from its VTIMEZONE', () => {
      // Thunderbird: 15 January 10:00–11:30 Europe/London, which is GMT in January.
      assert.equal(matches(query('VEVENT', range('20240115T110000Z', '20240115T120000Z')), thunderbird), true);
    });

    it('the event end is exclusive: a range starting at DTEND does not overlap', () => {
      assert.equal(matches(query('VEVENT', range('20240115T113000Z', '20240115T120000Z')), thunderbird), false);
    });

    it('the range end is exclusive: a range ending at DTSTART does not overlap', () => {
      assert.equal(matches(query('VEVENT', range('20240115T090000Z', '20240115T100000Z')), thunderbird), false);
    });

    it('a range with only a start, or only an end, is open on the other side', () => {
      assert.equal(matches(query('VEVENT', range('20240101T000000Z')), thunderbird), true);
      assert.equal(matches(query('VEVENT', range('20240116T000000Z')), thunderbird), false);
      assert.equal(matches(query('VEVENT', range(undefined, '20240116T000000Z')), thunderbird), true);
      assert.equal(matches(query('VEVENT', range(undefined, '20240115T100000Z')), thunderbird), false);
    });

    it('an event without DTEND or DURATION is an instant: start <= DTSTART < end', () => {
      const instant = eventWith('DTSTART:20240301T120000Z');
      assert.equal(matches(query('VEVENT', range('20240301T120000Z', '20240301T120001Z')), instant), true);
      assert.equal(matches(query('VEVENT', range('20240301T110000Z', '20240301T120000Z')), instant), false);
    });

    it('DURATION gives the end', () => {
      const ninety = eventWith('DTSTART:20240301T120000Z', 'DURATION:PT90M');
      assert.equal(matches(query('VEVENT', range('20240301T132000Z', '20240301T140000Z')), ninety), true);
      assert.equal(matches(query('VEVENT', range('20240301T133000Z', '20240301T140000Z')), ninety), false);
    });

    it('a TZID with no VTIMEZONE is read by its IANA name', () => {
      // 10:00 in Berlin in July is 08:00 UTC.
      const berlin = eventWith('DTSTART;TZID=Europe/Berlin:20240701T100000', 'DURATION:PT1H');
      assert.equal(matches(query('VEVENT', range('20240701T080000Z', '20240701T081500Z')), berlin), true);
      assert.equal(matches(query('VEVENT', range('20240701T090000Z', '20240701T100000Z')), berlin), false);
    });

    it('a Windows zone name is resolved from the VTIMEZONE that Outlook includes', () => {
      // 09:00 "W. Europe Standard Time" on 1 March (winter, +01:00) is 08:00 UTC.
      const timed = outlook
        .replace('DTSTART;VALUE=DATE:20240301', 'DTSTART;TZID=W. Europe Standard Time:20240301T090000')
        .replace('DTEND;VALUE=DATE:20240302', 'DTEND;TZID=W. Europe Standard Time:20240301T100000');
      assert.equal(matches(query('VEVENT', range('20240301T080000Z', '20240301T081500Z')), timed), true);
      assert.equal(matches(query('VEVENT', range('20240301T090000Z', '20240301T091500Z')), timed), false);
    });

    it('floating times are read in the calendar time zone when one is given, else as UTC', () => {
      const floating = eventWith('DTSTART:20240701T100000', 'DURATION:PT1H');
      const at8 = query('VEVENT', range('20240701T080000Z', '20240701T081500Z'));
      assert.equal(matches(at8, floating, { floatingTimeZone: 'Europe/Berlin' }), true);
      assert.equal(matches(at8, floating), false);
      assert.equal(matches(query('VEVENT', range('20240701T100000Z', '20240701T101500Z')), floating), true);
    });
  });

  void describe('all-day events', () => {
    it('an all-day event covers its day and ends at the exclusive DTEND (Outlook)', () => {
      assert.equal(matches(query('VEVENT', range('20240301T120000Z', '20240301T130000Z')), outlook), true);
      assert.equal(matches(query('VEVENT', range('20240302T000000Z', '20240302T010000Z')), outlook), false);
      assert.equal(matches(query('VEVENT', range('20240229T230000Z', '20240301T000000Z')), outlook), false);
    });

    it('an all-day event without DTEND lasts one day', () => {
      const day = eventWith('DTSTART;VALUE=DATE:20240405');
      assert.equal(matches(query('VEVENT', range('20240405T230000Z', '20240406T000000Z')), day), true);
      assert.equal(matches(query('VEVENT', range('20240406T000000Z', '20240406T010000Z')), day), false);
    });

    it('an all-day day is the calendar time zone\'s day when one is given', () => {
      // 1 March in New York runs from 05:00 UTC on 1 March to 05:00 UTC on 2 March.
      const earlyOnTheSecond = query('VEVENT', range('20240302T000000Z', '20240302T010000Z'));
      assert.equal(matches(earlyOnTheSecond, outlook, { floatingTimeZone: 'America/New_York' }), true);
      assert.equal(matches(earlyOnTheSecond, outlook), false);
    });

    it('a yearly all-day event (a birthday) recurs by date', () => {
      const birthday = eventWith('DTSTART;VALUE=DATE:19840124', 'DTEND;VALUE=DATE:19840125', 'RRULE:FREQ=YEARLY');
      assert.equal(matches(query('VEVENT', range('20240124T120000Z', '20240124T130000Z')), birthday), true);
      assert.equal(matches(query('VEVENT', range('20240125T120000Z', '20240125T130000Z')), birthday), false);
    });
  });

  void describe('recurring events', () => {
    // Google: Mondays 09:30–10:00 New York from 8 January 2024 (14:30 UTC in winter), 15 January
    // excluded, 22 January moved to Wednesday 24 January 14:00–14:30 (19:00 UTC).
    it('an ordinary instance of the rule matches', () => {
      assert.equal(matches(query('VEVENT', range('20240205T143000Z', '20240205T150000Z')), google), true);
      assert.equal(matches(query('VEVENT', range('20240206T143000Z', '20240206T150000Z')), google), false);
    });

    it('an EXDATE removes its instance from a time-range match', () => {
      assert.equal(matches(query('VEVENT', range('20240115T000000Z', '20240116T000000Z')), google), false);
    });

    it('an instance overridden out of the range no longer matches there', () => {
      assert.equal(matches(query('VEVENT', range('20240122T000000Z', '20240123T000000Z')), google), false);
    });

    it('an instance overridden into the range matches there', () => {
      assert.equal(matches(query('VEVENT', range('20240124T190000Z', '20240124T191500Z')), google), true);
      assert.equal(matches(query('VEVENT', range('20240124T143000Z', '20240124T150000Z')), google), false);
    });

    it('prop-filters apply to the component that owns the instance in range', () => {
      const moved = cal('prop-filter', { name: 'SUMMARY' }, [cal('text-match', {}, 'moved')]);
      assert.equal(matches(query('VEVENT', range('20240124T000000Z', '20240125T000000Z'), moved), google), true);
      assert.equal(matches(query('VEVENT', range('20240129T000000Z', '20240130T000000Z'), moved), google), false);
    });

    it('instances keep their wall-clock time across a DST change (New York, 10 March)', () => {
      assert.equal(matches(query('VEVENT', range('20240311T133000Z', '20240311T140000Z')), google), true);
      assert.equal(matches(query('VEVENT', range('20240311T143000Z', '20240311T150000Z')), google), false);
    });

    it('instances keep their wall-clock time across a DST change (Berlin, 31 March, Apple)', () => {
      // 10:00 Berlin is 09:00 UTC on 30 March and 08:00 UTC on 6 April.
      assert.equal(matches(query('VEVENT', range('20240330T090000Z', '20240330T093000Z')), apple), true);
      assert.equal(matches(query('VEVENT', range('20240330T080000Z', '20240330T083000Z')), apple), false);
      assert.equal(matches(query('VEVENT', range('20240406T080000Z', '20240406T083000Z')), apple), true);
      assert.equal(matches(query('VEVENT', range('20240406T090000Z', '20240406T093000Z')), apple), false);
    });

    it('COUNT ends the series', () => {
      assert.equal(matches(query('VEVENT', range('20240413T080000Z', '20240413T083000Z')), apple), true);
      assert.equal(matches(query('VEVENT', range('20240420T080000Z', '20240420T083000Z')), apple), false);
    });

    it('RDATE adds instances, and DTSTART stays the first one', () => {
      const rdates = eventWith('DTSTART:20240301T100000Z', 'DURATION:PT1H', 'RDATE:20240315T100000Z,20240320T150000Z');
      assert.equal(matches(query('VEVENT', range('20240301T100000Z', '20240301T103000Z')), rdates), true);
      assert.equal(matches(query('VEVENT', range('20240320T150000Z', '20240320T153000Z')), rdates), true);
      assert.equal(matches(query('VEVENT', range('20240308T100000Z', '20240308T103000Z')), rdates), false);
    });

    it('an EXDATE in UTC removes an instance written with a TZID', () => {
      const utcExdate = google.replace('EXDATE;TZID=America/New_York:20240115T093000', 'EXDATE:20240129T143000Z');
      assert.equal(matches(query('VEVENT', range('20240129T000000Z', '20240130T000000Z')), utcExdate), false);
      assert.equal(matches(query('VEVENT', range('20240115T000000Z', '20240116T000000Z')), utcExdate), true);
    });

    it('an open-ended weekly rule answers a range 66 years ahead exactly, quickly', () => {
      const started = performance.now();
      // Monday 6 March 2090, 09:30 New York (EST) is 14:30 UTC.
      assert.equal(matches(query('VEVENT', range('20900306T143000Z', '20900306T150000Z')), google), true);
      assert.equal(matches(query('VEVENT', range('20900307T143000Z', '20900307T150000Z')), google), false);
      assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
    });

    it('an open-ended daily rule from 2000 answers a range in 2200 exactly, quickly', () => {
      const daily = eventWith('DTSTART:20000101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY');
      const started = performance.now();
      assert.equal(matches(query('VEVENT', range('22000101T091500Z', '22000101T093000Z')), daily), true);
      assert.equal(matches(query('VEVENT', range('22000101T120000Z', '22000101T130000Z')), daily), false);
      assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
    });

    it('skipping ahead keeps the wall-clock time in the event\'s zone (Berlin, summer 2100)', () => {
      const daily = eventWith('DTSTART;TZID=Europe/Berlin:20000101T090000', 'DURATION:PT1H', 'RRULE:FREQ=DAILY');
      assert.equal(matches(query('VEVENT', range('21000701T070000Z', '21000701T071500Z')), daily), true);
      assert.equal(matches(query('VEVENT', range('21000701T080000Z', '21000701T081500Z')), daily), false);
    });

    it('every weekday (WEEKLY;BYDAY=MO,TU,WE,TH,FR) decades later: Friday yes, Saturday no', () => {
      const weekdays = eventWith('DTSTART:20100104T080000Z', 'DURATION:PT8H', 'RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR');
      // 4 and 5 January 2080 are a Thursday and a Friday; 6 January a Saturday.
      assert.equal(matches(query('VEVENT', range('20800105T120000Z', '20800105T130000Z')), weekdays), true);
      assert.equal(matches(query('VEVENT', range('20800106T120000Z', '20800106T130000Z')), weekdays), false);
    });

    it('UNTIL still ends a rule that is skipped ahead', () => {
      const until = eventWith('DTSTART:20000101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;UNTIL=20301231T090000Z');
      assert.equal(matches(query('VEVENT', range('20301231T090000Z', '20301231T093000Z')), until), true);
      assert.equal(matches(query('VEVENT', range('20310101T090000Z', '20310101T093000Z')), until), false);
    });

    it('a rule that cannot skip ahead and runs past the cap of instances examined answers "may match", quickly', () => {
      // HOURLY;BYHOUR=9 occurs daily at 09:00, but hourly rules are walked one by one; from
      // 2000 to 2200 is more than the cap allows, so the answer is "may match" even at noon:
      // a spurious result costs a client a little, a missing one would hide the event.
      const hourly = eventWith('DTSTART:20000101T090000Z', 'DURATION:PT1H', 'RRULE:FREQ=HOURLY;BYHOUR=9');
      const started = performance.now();
      assert.equal(matches(query('VEVENT', range('22000101T120000Z', '22000101T130000Z')), hourly), true);
      assert.ok(performance.now() - started < 3000, `took ${performance.now() - started} ms`);
    });
  });

  void describe('time-range on VTODO (the table in RFC 4791 §9.9)', () => {
    it('DTSTART and DUE: overlaps between them (Evolution, all-day dates)', () => {
      assert.equal(matches(query('VTODO', range('20240125T000000Z', '20240126T000000Z')), todo), true);
      assert.equal(matches(query('VTODO', range('20240201T000000Z', '20240202T000000Z')), todo), false);
      assert.equal(matches(query('VTODO', range('20240101T000000Z', '20240102T000000Z')), todo), false);
    });

    it('DTSTART equal to DUE, in a VTIMEZONE (iOS Reminders): matches ranges that touch the instant', () => {
      // 09:00 Berlin on 16 January is 08:00 UTC.
      assert.equal(matches(query('VTODO', range('20240116T070000Z', '20240116T080000Z')), reminder), true);
      assert.equal(matches(query('VTODO', range('20240116T080000Z', '20240116T090000Z')), reminder), true);
      assert.equal(matches(query('VTODO', range('20240116T080001Z', '20240116T090000Z')), reminder), false);
      assert.equal(matches(query('VTODO', range('20240116T060000Z', '20240116T075959Z')), reminder), false);
    });

    it('DTSTART and DURATION', () => {
      const task = todoWith('DTSTART:20240301T100000Z', 'DURATION:PT2H');
      assert.equal(matches(query('VTODO', range('20240301T110000Z', '20240301T113000Z')), task), true);
      assert.equal(matches(query('VTODO', range('20240301T130000Z', '20240301T140000Z')), task), false);
    });

    it('DTSTART only: start <= DTSTART < end', () => {
      const task = todoWith('DTSTART:20240301T100000Z');
      assert.equal(matches(query('VTODO', range('20240301T100000Z', '20240301T100100Z')), task), true);
      assert.equal(matches(query('VTODO', range('20240301T100001Z', '20240301T110000Z')), task), false);
    });

    it('DUE only: start < DUE <= end', () => {
      const task = todoWith('DUE:20240301T100000Z');
      assert.equal(matches(query('VTODO', range('20240301T090000Z', '20240301T100000Z')), task), true);
      assert.equal(matches(query('VTODO', range('20240301T100000Z', '20240301T110000Z')), task), false);
    });

    it('COMPLETED and CREATED, COMPLETED only, CREATED only', () => {
      const both = todoWith('CREATED:20240101T000000Z', 'COMPLETED:20240110T000000Z');
      assert.equal(matches(query('VTODO', range('20240105T000000Z', '20240106T000000Z')), both), true);
      assert.equal(matches(query('VTODO', range('20240201T000000Z', '20240202T000000Z')), both), false);
      const completed = todoWith('COMPLETED:20240110T000000Z');
      assert.equal(matches(query('VTODO', range('20240110T000000Z', '20240111T000000Z')), completed), true);
      assert.equal(matches(query('VTODO', range('20240105T000000Z', '20240106T000000Z')), completed), false);
      const created = todoWith('CREATED:20240101T000000Z');
      assert.equal(matches(query('VTODO', range('20240105T000000Z', '20240106T000000Z')), created), true);
      assert.equal(matches(query('VTODO', range('20231201T000000Z', '20231202T000000Z')), created), false);
    });

    it('a task with no dates at all overlaps every range', () => {
      assert.equal(matches(query('VTODO', range('19000101T000000Z', '19000102T000000Z')), todoWith('SUMMARY:someday')), true);
    });

    it('a recurring task moves its DUE with each instance', () => {
      const weekly = todoWith('DTSTART:20240301T090000Z', 'DUE:20240301T170000Z', 'RRULE:FREQ=WEEKLY;COUNT=3');
      assert.equal(matches(query('VTODO', range('20240308T120000Z', '20240308T130000Z')), weekly), true);
      assert.equal(matches(query('VTODO', range('20240322T120000Z', '20240322T130000Z')), weekly), false);
    });
  });

  void describe('time-range on VJOURNAL and VALARM', () => {
    it('an all-day VJOURNAL covers its day (Evolution memo)', () => {
      assert.equal(matches(query('VJOURNAL', range('20240112T120000Z', '20240112T130000Z')), memo), true);
      assert.equal(matches(query('VJOURNAL', range('20240113T000000Z', '20240113T010000Z')), memo), false);
    });

    it('a VJOURNAL without DTSTART overlaps nothing', () => {
      const undated = calendar('BEGIN:VJOURNAL', 'UID:j', 'DTSTAMP:20240101T000000Z', 'SUMMARY:note', 'END:VJOURNAL');
      assert.equal(matches(query('VJOURNAL', range('20240101T000000Z', '20250101T000000Z')), undated), false);
    });

    it('a VALARM overlaps at its trigger time, relative to the event start (Thunderbird, -PT15M)', () => {
      const alarmAt = (start: string, end: string) => query('VEVENT', cal('comp-filter', { name: 'VALARM' }, [range(start, end)]));
      assert.equal(matches(alarmAt('20240115T094000Z', '20240115T095000Z'), thunderbird), true);
      assert.equal(matches(alarmAt('20240115T100000Z', '20240115T103000Z'), thunderbird), false);
    });

    it('a VALARM of a recurring event fires for each instance, in local time across DST (Apple, -PT30M)', () => {
      const alarmAt = (start: string, end: string) => query('VEVENT', cal('comp-filter', { name: 'VALARM' }, [range(start, end)]));
      assert.equal(matches(alarmAt('20240406T072500Z', '20240406T073500Z'), apple), true);
      assert.equal(matches(alarmAt('20240406T082500Z', '20240406T083500Z'), apple), false);
    });

    it('an absolute trigger of a task fires once, at its UTC time (iOS Reminders)', () => {
      const alarmAt = (start: string, end: string) => query('VTODO', cal('comp-filter', { name: 'VALARM' }, [range(start, end)]));
      assert.equal(matches(alarmAt('20240116T080000Z', '20240116T080100Z'), reminder), true);
      assert.equal(matches(alarmAt('20240116T090000Z', '20240116T100000Z'), reminder), false);
    });

    it('an absolute trigger and RELATED=END', () => {
      const absolute = eventWith('DTSTART:20240301T100000Z', 'DURATION:PT1H', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:x', 'TRIGGER;VALUE=DATE-TIME:20240228T080000Z', 'END:VALARM');
      const alarmAt = (start: string, end: string) => query('VEVENT', cal('comp-filter', { name: 'VALARM' }, [range(start, end)]));
      assert.equal(matches(alarmAt('20240228T080000Z', '20240228T080100Z'), absolute), true);
      const afterEnd = eventWith('DTSTART:20240301T100000Z', 'DURATION:PT1H', 'BEGIN:VALARM', 'ACTION:DISPLAY', 'DESCRIPTION:x', 'TRIGGER;RELATED=END:PT5M', 'END:VALARM');
      assert.equal(matches(alarmAt('20240301T110500Z', '20240301T110600Z'), afterEnd), true);
      assert.equal(matches(alarmAt('20240301T100500Z', '20240301T100600Z'), afterEnd), false);
    });
  });

  void describe('prop-filter and param-filter', () => {
    it('text-match is a case-insensitive substring by default (i;ascii-casemap)', () => {
      const summary = (text: string) => query('VEVENT', cal('prop-filter', { name: 'SUMMARY' }, [cal('text-match', {}, text)]));
      assert.equal(matches(summary('QUARTERLY'), thunderbird), true);
      assert.equal(matches(summary('annual'), thunderbird), false);
    });

    it('i;octet text-match is case-sensitive', () => {
      const summary = (text: string) => query('VEVENT', cal('prop-filter', { name: 'SUMMARY' }, [cal('text-match', { collation: 'i;octet' }, text)]));
      assert.equal(matches(summary('Quarterly'), thunderbird), true);
      assert.equal(matches(summary('quarterly'), thunderbird), false);
    });

    it('negate-condition inverts a text-match', () => {
      const notReview = query('VEVENT', cal('prop-filter', { name: 'SUMMARY' }, [cal('text-match', { 'negate-condition': 'yes' }, 'review')]));
      assert.equal(matches(notReview, thunderbird), false);
      assert.equal(matches(notReview, apple), true);
    });

    it('a UID lookup, as clients do before creating an event', () => {
      const byUid = query('VEVENT', cal('prop-filter', { name: 'UID' }, [cal('text-match', { collation: 'i;octet' }, '7kukuqrfedlm2f9t0vr8jk1ckb@google.com')]));
      assert.equal(matches(byUid, google), true);
      assert.equal(matches(byUid, thunderbird), false);
    });

    it('prop-filter is-not-defined matches components without the property', () => {
      const noLocation = query('VEVENT', cal('prop-filter', { name: 'LOCATION' }, [cal('is-not-defined')]));
      assert.equal(matches(noLocation, outlook), true);
      assert.equal(matches(noLocation, thunderbird), false);
    });

    it('tasks that are not completed: COMPLETED is-not-defined and STATUS not CANCELLED (what DAVx5 and Thunderbird ask)', () => {
      const open = query(
        'VTODO',
        cal('prop-filter', { name: 'COMPLETED' }, [cal('is-not-defined')]),
        cal('prop-filter', { name: 'STATUS' }, [cal('text-match', { 'negate-condition': 'yes' }, 'CANCELLED')]),
      );
      assert.equal(matches(open, todo), true);
      assert.equal(matches(open, todoWith('STATUS:CANCELLED')), false);
      assert.equal(matches(open, todoWith('STATUS:COMPLETED', 'COMPLETED:20240101T000000Z')), false);
    });

    it('time-range on a DATE-TIME property', () => {
      const modified = (start: string, end: string) => query('VEVENT', cal('prop-filter', { name: 'LAST-MODIFIED' }, [range(start, end)]));
      assert.equal(matches(modified('20240110T090000Z', '20240110T100000Z'), thunderbird), true);
      assert.equal(matches(modified('20240111T000000Z', '20240112T000000Z'), thunderbird), false);
    });

    it('param-filter matches a parameter of the property', () => {
      const needsAction = query('VEVENT', cal('prop-filter', { name: 'ATTENDEE' }, [cal('param-filter', { name: 'PARTSTAT' }, [cal('text-match', {}, 'needs-action')])]));
      assert.equal(matches(needsAction, thunderbird), true);
      const declined = query('VEVENT', cal('prop-filter', { name: 'ATTENDEE' }, [cal('param-filter', { name: 'PARTSTAT' }, [cal('text-match', {}, 'DECLINED')])]));
      assert.equal(matches(declined, thunderbird), false);
      const noDelegation = query('VEVENT', cal('prop-filter', { name: 'ATTENDEE' }, [cal('param-filter', { name: 'DELEGATED-TO' }, [cal('is-not-defined')])]));
      assert.equal(matches(noDelegation, thunderbird), true);
    });

    it('an unparseable stored object matches nothing', () => {
      assert.equal(matches(query('VEVENT'), 'not a calendar'), false);
    });
  });

  void describe('what the filter parser refuses', () => {
    const refusal = (filter: XmlElement) => parseCalendarFilter(filter);
    const inCalendar = (...children: XmlElement[]) => cal('filter', {}, [cal('comp-filter', { name: 'VCALENDAR' }, children)]);

    it('a filter whose top comp-filter is not VCALENDAR answers valid-filter', () => {
      const result = refusal(cal('filter', {}, [cal('comp-filter', { name: 'VEVENT' })]));
      assert.equal(result.kind === 'unsupported' && result.precondition, 'valid-filter');
    });

    it('a filter with no comp-filter answers valid-filter', () => {
      assert.equal(refusal(cal('filter')).kind, 'unsupported');
    });

    it('a time-range that is not UTC answers valid-filter, naming the expected form', () => {
      const result = refusal(inCalendar(cal('comp-filter', { name: 'VEVENT' }, [range('20240101T000000', '20240102T000000Z')])));
      assert.equal(result.kind === 'unsupported' && result.precondition, 'valid-filter');
      assert.match(result.kind === 'unsupported' ? result.message : '', /YYYYMMDDTHHMMSSZ/);
    });

    it('a time-range whose start is not before its end answers valid-filter', () => {
      const result = refusal(inCalendar(cal('comp-filter', { name: 'VEVENT' }, [range('20240102T000000Z', '20240101T000000Z')])));
      assert.match(result.kind === 'unsupported' ? result.message : '', /not before/);
    });

    it('a time-range with neither start nor end answers valid-filter', () => {
      assert.equal(refusal(inCalendar(cal('comp-filter', { name: 'VEVENT' }, [cal('time-range')]))).kind, 'unsupported');
    });

    it('a time-range on VCALENDAR answers valid-filter', () => {
      const result = refusal(cal('filter', {}, [cal('comp-filter', { name: 'VCALENDAR' }, [range('20240101T000000Z')])]));
      assert.equal(result.kind === 'unsupported' && result.precondition, 'valid-filter');
    });

    it('an unknown collation answers supported-collation', () => {
      const result = refusal(inCalendar(cal('comp-filter', { name: 'VEVENT' }, [cal('prop-filter', { name: 'SUMMARY' }, [cal('text-match', { collation: 'i;basic' }, 'x')])])));
      assert.equal(result.kind === 'unsupported' && result.precondition, 'supported-collation');
    });

    it('a CardDAV element inside a calendar filter answers supported-filter', () => {
      const result = refusal(inCalendar(card('prop-filter', { name: 'FN' })));
      assert.equal(result.kind === 'unsupported' && result.precondition, 'supported-filter');
    });
  });
});
