import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody, xmlBody } from './dav-client.ts';

const LITMUS = 'http://example.com/neon/litmus/';
const EVENT = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nSUMMARY:Test\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';

function proppatch(...instructions: string[]): string {
  return `<?xml version="1.0" encoding="utf-8"?><d:propertyupdate xmlns:d="DAV:" xmlns:cal="${NS.caldav}" xmlns:ical="${NS.apple}" xmlns:t="${LITMUS}">${instructions.join('')}</d:propertyupdate>`;
}

describe('DAV PROPFIND and PROPPATCH', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
    await davRequest(server, 'PUT', '/dav/alice/calendar/e.ics', { body: EVENT, headers: { 'content-type': 'text/calendar' } });
  });
  after(() => server.close());
  const sequence = async (): Promise<number> => (await server.store.identity()).sequence;

  test('Depth 0 describes the resource alone; Depth 1 adds its members', async () => {
    const zero = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/calendar/', { headers: { depth: '0' }, body: propfindBody('d:resourcetype') }));
    assert.deepEqual(zero.map((e) => e.href), ['/dav/alice/calendar/']);
    const one = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/calendar/', { headers: { depth: '1' }, body: propfindBody('d:getetag') }));
    assert.deepEqual(one.map((e) => e.href), ['/dav/alice/calendar/', '/dav/alice/calendar/e.ics']);
    assert.equal(one[0]?.props.get(`{${NS.dav}}getetag`)?.status, 404);
    assert.equal(one[1]?.props.get(`{${NS.dav}}getetag`)?.status, 200);
  });

  test('an empty body is allprop: live properties with values, no 404s', async () => {
    const [entry] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/calendar/e.ics', { headers: { depth: '0' } }));
    const names = [...(entry?.props.keys() ?? [])];
    for (const name of ['resourcetype', 'getetag', 'getcontenttype', 'getcontentlength', 'getlastmodified']) assert.ok(names.includes(`{DAV:}${name}`), name);
    assert.ok([...(entry?.props.values() ?? [])].every((p) => p.status === 200));
  });

  test('quota-used-bytes is the user\'s live content, the same on the home and every collection; without a quota there is no quota-available-bytes', async () => {
    const used = async (path: string): Promise<number> => {
      const [entry] = await multistatus(await davRequest(server, 'PROPFIND', path, { headers: { depth: '0' }, body: propfindBody('d:quota-used-bytes', 'd:quota-available-bytes') }));
      assert.equal(entry?.props.get('{DAV:}quota-available-bytes')?.status, 404);
      return Number(entry?.props.get('{DAV:}quota-used-bytes')?.element.text);
    };
    assert.equal(await used('/dav/alice/'), Buffer.byteLength(EVENT));
    assert.equal(await used('/dav/alice/calendar/'), Buffer.byteLength(EVENT));
    assert.equal(await used('/dav/alice/contacts/'), Buffer.byteLength(EVENT));
  });

  test('propname lists names without values', async () => {
    const [entry] = await multistatus(
      await davRequest(server, 'PROPFIND', '/dav/alice/calendar/', { headers: { depth: '0' }, body: '<d:propfind xmlns:d="DAV:"><d:propname/></d:propfind>' }),
    );
    const getctag = entry?.props.get(`{${NS.calendarServer}}getctag`);
    assert.equal(getctag?.status, 200);
    assert.equal(getctag?.element.text, '');
    assert.ok(entry?.props.has(`{${NS.caldav}}supported-calendar-component-set`));
  });

  test('Depth: infinity is refused with 403 and the propfind-finite-depth precondition', async () => {
    const response = await davRequest(server, 'PROPFIND', '/dav/alice/', { headers: { depth: 'infinity' } });
    assert.equal(response.status, 403);
    const error = await xmlBody(response);
    assert.equal(error.name, 'error');
    assert.ok(error.children.some((c) => c.ns === NS.dav && c.name === 'propfind-finite-depth'));
  });

  test('litmus (neon) sends PROPFIND without Depth and expects a 207: it is answered as Depth 1', async () => {
    const entries = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/calendar/', { body: propfindBody('d:resourcetype') }));
    assert.equal(entries.length, 2);
  });

  test('PROPPATCH sets display properties and dead properties, kept verbatim with their XML', async () => {
    const response = await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/', {
      body: proppatch(
        '<d:set><d:prop><d:displayname>Work &amp; play</d:displayname><cal:calendar-description>Shifts</cal:calendar-description>',
        '<ical:calendar-color>#FF0000FF</ical:calendar-color><ical:calendar-order>3</ical:calendar-order>',
        '<t:rich>a<b xmlns="urn:b" x="1">bold</b>c</t:rich></d:prop></d:set>',
      ),
    });
    const [patched] = await multistatus(response);
    assert.ok([...(patched?.props.values() ?? [])].every((p) => p.status === 200));

    const [entry] = await multistatus(
      await davRequest(server, 'PROPFIND', '/dav/alice/calendar/', {
        headers: { depth: '0' },
        body: `<d:propfind xmlns:d="DAV:" xmlns:cal="${NS.caldav}" xmlns:ical="${NS.apple}" xmlns:t="${LITMUS}"><d:prop><d:displayname/><cal:calendar-description/><ical:calendar-color/><ical:calendar-order/><t:rich/></d:prop></d:propfind>`,
      }),
    );
    assert.equal(entry?.props.get('{DAV:}displayname')?.element.text, 'Work & play');
    assert.equal(entry?.props.get(`{${NS.caldav}}calendar-description`)?.element.text, 'Shifts');
    assert.equal(entry?.props.get(`{${NS.apple}}calendar-color`)?.element.text, '#FF0000FF');
    assert.equal(entry?.props.get(`{${NS.apple}}calendar-order`)?.element.text, '3');
    const rich = entry?.props.get(`{${LITMUS}}rich`)?.element;
    assert.deepEqual(rich?.content?.map((c) => (typeof c === 'string' ? c : `${c.ns}|${c.name}|${c.attributes.x}|${c.text}`)), ['a', 'urn:b|b|1|bold', 'c']);

    const alice = await server.store.accounts.getUserByName('alice');
    const stored = await server.store.forUser(alice?.id ?? 0).getCollection('calendar');
    assert.equal(stored?.props.displayName, 'Work & play');
  });

  test('PROPPATCH is all or nothing: one protected property fails with 403, the rest with 424, and nothing changes', async () => {
    const before = await sequence();
    const response = await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/', {
      body: proppatch('<d:set><d:prop><d:displayname>Changed</d:displayname><d:getetag>"x"</d:getetag><t:other>v</t:other></d:prop></d:set>'),
    });
    const [entry] = await multistatus(response);
    assert.equal(entry?.props.get('{DAV:}getetag')?.status, 403);
    assert.equal(entry?.props.get('{DAV:}displayname')?.status, 424);
    assert.equal(entry?.props.get(`{${LITMUS}}other`)?.status, 424);
    assert.equal(await sequence(), before);
    const [after] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/calendar/', { headers: { depth: '0' }, body: propfindBody('d:displayname') }));
    assert.equal(after?.props.get('{DAV:}displayname')?.element.text, 'Work & play');
  });

  test('PROPPATCH removes dead properties and follows document order', async () => {
    await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/e.ics', { body: proppatch('<d:set><d:prop><t:a>1</t:a><t:b>2</t:b></d:prop></d:set>') });
    await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/e.ics', {
      body: proppatch('<d:remove><d:prop><t:a/></d:prop></d:remove>', '<d:set><d:prop><t:b>first</t:b></d:prop></d:set>', '<d:set><d:prop><t:b>second</t:b></d:prop></d:set>'),
    });
    const [entry] = await multistatus(
      await davRequest(server, 'PROPFIND', '/dav/alice/calendar/e.ics', { headers: { depth: '0' }, body: `<d:propfind xmlns:d="DAV:" xmlns:t="${LITMUS}"><d:prop><t:a/><t:b/></d:prop></d:propfind>` }),
    );
    assert.equal(entry?.props.get(`{${LITMUS}}a`)?.status, 404);
    assert.equal(entry?.props.get(`{${LITMUS}}b`)?.element.text, 'second');
  });

  test('a displayname on an item is the client\'s own (dead) property; getetag stays protected', async () => {
    const set = await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/e.ics', { body: proppatch('<d:set><d:prop><d:displayname>Mine</d:displayname></d:prop></d:set>') });
    assert.equal((await multistatus(set))[0]?.props.get('{DAV:}displayname')?.status, 200);
    const [entry] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/calendar/e.ics', { headers: { depth: '0' }, body: propfindBody('d:displayname') }));
    assert.equal(entry?.props.get('{DAV:}displayname')?.element.text, 'Mine');
    const etag = await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/', { body: proppatch('<d:set><d:prop><d:getetag>"x"</d:getetag></d:prop></d:set>') });
    assert.equal((await multistatus(etag))[0]?.props.get('{DAV:}getetag')?.status, 403);
  });

  test('a dead property set on a collection can be removed again', async () => {
    await davRequest(server, 'PROPPATCH', '/dav/alice/tasks/', { body: proppatch('<d:set><d:prop><t:x>1</t:x></d:prop></d:set>') });
    await davRequest(server, 'PROPPATCH', '/dav/alice/tasks/', { body: proppatch('<d:remove><d:prop><t:x/></d:prop></d:remove>') });
    const [entry] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/tasks/', { headers: { depth: '0' } }));
    assert.ok(!entry?.props.has(`{${LITMUS}}x`));
    const alice = await server.store.accounts.getUserByName('alice');
    const stored = await server.store.forUser(alice?.id ?? 0).getCollection('tasks');
    assert.equal(stored?.props.extra?.[`{${LITMUS}}x`], undefined, 'removed from the store, not kept as an empty value');
  });

  test('calendar-order and the description can be removed, from the store too', async () => {
    await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/', {
      body: proppatch('<d:set><d:prop><ical:calendar-order>5</ical:calendar-order><cal:calendar-description>x</cal:calendar-description></d:prop></d:set>'),
    });
    const removed = await davRequest(server, 'PROPPATCH', '/dav/alice/calendar/', {
      body: proppatch('<d:remove><d:prop><ical:calendar-order/><cal:calendar-description/></d:prop></d:remove>'),
    });
    const [patched] = await multistatus(removed);
    assert.ok([...(patched?.props.values() ?? [])].every((p) => p.status === 200));
    const [entry] = await multistatus(
      await davRequest(server, 'PROPFIND', '/dav/alice/calendar/', {
        headers: { depth: '0' },
        body: `<d:propfind xmlns:d="DAV:" xmlns:cal="${NS.caldav}" xmlns:ical="${NS.apple}"><d:prop><cal:calendar-description/><ical:calendar-order/></d:prop></d:propfind>`,
      }),
    );
    assert.equal(entry?.props.get(`{${NS.apple}}calendar-order`)?.status, 404);
    assert.equal(entry?.props.get(`{${NS.caldav}}calendar-description`)?.status, 404);
    const alice = await server.store.accounts.getUserByName('alice');
    const stored = await server.store.forUser(alice?.id ?? 0).getCollection('calendar');
    assert.equal(stored?.props.order, undefined);
    assert.equal(stored?.props.description, undefined);
  });
});
