import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody, xmlBody } from './dav-client.ts';

const card = (uid: string, name: string): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${name}\r\nN:${name};;;;\r\nEND:VCARD\r\n`;
const WEEKLY =
  'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\nRRULE:FREQ=WEEKLY\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
const ONCE =
  'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:once\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260110T090000Z\r\nDTEND:20260110T100000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';

describe('DAV REPORT: multiget and query', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
    for (const [uid, name] of [['ada', 'Ada Lovelace'], ['alan', 'Alan Turing'], ['grace', 'Grace Hopper']] as const) {
      const put = await davRequest(server, 'PUT', `/dav/alice/contacts/${uid}.vcf`, { body: card(uid, name), headers: { 'content-type': 'text/vcard' } });
      assert.equal(put.status, 201);
    }
    for (const [name, body] of [['weekly', WEEKLY], ['once', ONCE]] as const) {
      assert.equal((await davRequest(server, 'PUT', `/dav/alice/calendar/${name}.ics`, { body, headers: { 'content-type': 'text/calendar' } })).status, 201);
    }
  });
  after(() => server.close());

  test('addressbook-multiget returns each named vCard with its ETag, and 404 for one that does not exist', async () => {
    const body = `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:prop><d:getetag/><card:address-data/></d:prop>
      <d:href>/dav/alice/contacts/ada.vcf</d:href><d:href>${server.url}/dav/alice/contacts/grace.vcf</d:href><d:href>/dav/alice/contacts/nobody.vcf</d:href><d:href>http://elsewhere.example/x.vcf</d:href><d:href>/dav/bob/contacts/x.vcf</d:href></card:addressbook-multiget>`;
    const entries = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/contacts/', { headers: { depth: '1' }, body }));
    assert.equal(entries.length, 5);
    assert.deepEqual(entries.slice(3).map((e) => e.status), [404, 404]);
    assert.equal(entries[0]?.props.get(`{${NS.carddav}}address-data`)?.element.text, card('ada', 'Ada Lovelace'));
    assert.match(entries[0]?.props.get('{DAV:}getetag')?.element.text ?? '', /^"/);
    assert.equal(entries[1]?.props.get(`{${NS.carddav}}address-data`)?.element.text, card('grace', 'Grace Hopper'));
    assert.equal(entries[2]?.status, 404);
  });

  test('addressbook-query returns the contacts whose FN matches', async () => {
    const body = `<card:addressbook-query xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:prop><d:getetag/></d:prop>
      <card:filter><card:prop-filter name="FN"><card:text-match collation="i;unicode-casemap" match-type="contains">a</card:text-match></card:prop-filter></card:filter></card:addressbook-query>`;
    const entries = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/contacts/', { headers: { depth: '1' }, body }));
    assert.deepEqual(entries.map((e) => e.href).sort(), ['/dav/alice/contacts/ada.vcf', '/dav/alice/contacts/alan.vcf', '/dav/alice/contacts/grace.vcf']);
    const only = body.replace('>a<', '>turing<');
    const turing = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/contacts/', { headers: { depth: '1' }, body: only }));
    assert.deepEqual(turing.map((e) => e.href), ['/dav/alice/contacts/alan.vcf']);
  });

  test('addressbook-query with a limit lists that many and a 507 for the collection', async () => {
    const body = `<card:addressbook-query xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:prop><d:getetag/></d:prop><card:limit><card:nresults>2</card:nresults></card:limit></card:addressbook-query>`;
    const entries = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/contacts/', { headers: { depth: '1' }, body }));
    assert.equal(entries.filter((e) => e.href.endsWith('.vcf')).length, 2);
    assert.deepEqual(entries.filter((e) => e.href === '/dav/alice/contacts/').map((e) => e.status), [507]);
  });

  test('calendar-query with a time range finds a recurring event by a later instance', async () => {
    const query = (start: string, end: string): string =>
      `<c:calendar-query xmlns:d="DAV:" xmlns:c="${NS.caldav}"><d:prop><d:getetag/><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="${start}" end="${end}"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`;
    const march = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/calendar/', { headers: { depth: '1' }, body: query('20260302T000000Z', '20260303T000000Z') }));
    assert.deepEqual(march.map((e) => e.href), ['/dav/alice/calendar/weekly.ics']);
    assert.equal(march[0]?.props.get(`{${NS.caldav}}calendar-data`)?.element.text, WEEKLY);
    const tenth = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/calendar/', { headers: { depth: '1' }, body: query('20260110T000000Z', '20260111T000000Z') }));
    assert.deepEqual(tenth.map((e) => e.href), ['/dav/alice/calendar/once.ics']);
  });

  test('calendar-query reads floating times in the calendar\'s calendar-timezone', async () => {
    assert.equal((await davRequest(server, 'MKCALENDAR', '/dav/alice/berlin/')).status, 201);
    const zone = 'BEGIN:VCALENDAR&#13;\nVERSION:2.0&#13;\nPRODID:-//test//EN&#13;\nBEGIN:VTIMEZONE&#13;\nTZID:Europe/Berlin&#13;\nEND:VTIMEZONE&#13;\nEND:VCALENDAR&#13;\n';
    const patch = `<d:propertyupdate xmlns:d="DAV:" xmlns:c="${NS.caldav}"><d:set><d:prop><c:calendar-timezone>${zone}</c:calendar-timezone></d:prop></d:set></d:propertyupdate>`;
    assert.equal((await davRequest(server, 'PROPPATCH', '/dav/alice/berlin/', { body: patch })).status, 207);
    const floating = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:floating\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260601T100000\r\nDTEND:20260601T110000\r\nSUMMARY:Local\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/berlin/f.ics', { body: floating, headers: { 'content-type': 'text/calendar' } })).status, 201);
    // 10:00 in Berlin in June is 08:00 UTC.
    const query = `<c:calendar-query xmlns:d="DAV:" xmlns:c="${NS.caldav}"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20260601T080000Z" end="20260601T083000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`;
    const entries = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/berlin/', { headers: { depth: '1' }, body: query }));
    assert.deepEqual(entries.map((e) => e.href), ['/dav/alice/berlin/f.ics']);
  });

  test('calendar-data with expand sends one component per instance in the range, in UTC, overrides included', async () => {
    const series = [
      'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN',
      'BEGIN:VTIMEZONE', 'TZID:Europe/Berlin', 'BEGIN:STANDARD', 'DTSTART:19701025T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD',
      'BEGIN:DAYLIGHT', 'DTSTART:19700329T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU', 'END:DAYLIGHT', 'END:VTIMEZONE',
      'BEGIN:VEVENT', 'UID:series', 'DTSTAMP:20260101T000000Z', 'DTSTART;TZID=Europe/Berlin:20260601T100000', 'DTEND;TZID=Europe/Berlin:20260601T110000',
      'RRULE:FREQ=WEEKLY', 'EXDATE;TZID=Europe/Berlin:20260608T100000', 'SUMMARY:Weekly', 'END:VEVENT',
      'BEGIN:VEVENT', 'UID:series', 'DTSTAMP:20260101T000000Z', 'RECURRENCE-ID;TZID=Europe/Berlin:20260615T100000', 'DTSTART;TZID=Europe/Berlin:20260615T120000', 'DTEND;TZID=Europe/Berlin:20260615T130000', 'SUMMARY:Moved', 'END:VEVENT',
      'END:VCALENDAR', '',
    ].join('\r\n');
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/calendar/series.ics', { body: series, headers: { 'content-type': 'text/calendar' } })).status, 201);
    const body = `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="${NS.caldav}"><d:prop><c:calendar-data><c:expand start="20260601T000000Z" end="20260620T000000Z"/></c:calendar-data></d:prop><d:href>/dav/alice/calendar/series.ics</d:href></c:calendar-multiget>`;
    const [entry] = await multistatus(await davRequest(server, 'REPORT', '/dav/alice/calendar/', { body }));
    const text = entry?.props.get(`{${NS.caldav}}calendar-data`)?.element.text ?? '';
    assert.doesNotMatch(text, /RRULE|EXDATE|VTIMEZONE|TZID/);
    const ids = [...text.matchAll(/RECURRENCE-ID:(\S+)/g)].map((m) => m[1]);
    assert.deepEqual(ids, ['20260601T080000Z', '20260615T080000Z']);
    assert.match(text, /DTSTART:20260615T100000Z/);
    assert.match(text, /SUMMARY:Moved/);
  });

  test('free-busy-query answers one VFREEBUSY with the busy time of a recurring event in the range', async () => {
    const body = `<c:free-busy-query xmlns:c="${NS.caldav}"><c:time-range start="20260302T000000Z" end="20260303T000000Z"/></c:free-busy-query>`;
    const response = await davRequest(server, 'REPORT', '/dav/alice/calendar/', { headers: { depth: '1' }, body });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/calendar/);
    const text = await response.text();
    assert.match(text, /BEGIN:VFREEBUSY/);
    assert.match(text, /FREEBUSY[^:]*:20260302T090000Z\/(20260302T100000Z|PT1H)/);
  });

  test('a report the server does not implement answers 403 supported-report', async () => {
    const body = '<d:expand-property xmlns:d="DAV:"><d:property name="current-user-principal"/></d:expand-property>';
    const response = await davRequest(server, 'REPORT', '/dav/alice/contacts/', { body });
    assert.equal(response.status, 403);
    assert.ok((await xmlBody(response)).children.some((c) => c.name === 'supported-report'));
  });

  test('supported-report-set lists the multiget and the query of each kind of collection', async () => {
    const [entry] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/contacts/', { headers: { depth: '0' }, body: propfindBody('d:supported-report-set') }));
    const reports = entry?.props.get('{DAV:}supported-report-set')?.element.children.map((s) => s.children[0]?.children[0]?.name);
    assert.deepEqual(reports, ['addressbook-multiget', 'addressbook-query', 'sync-collection']);
  });
});
