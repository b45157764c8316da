import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, xmlBody } from './dav-client.ts';

const VCARD = { 'content-type': 'text/vcard; charset=utf-8' };
const ICS = { 'content-type': 'text/calendar; charset=utf-8' };
const card = (uid: string): string => `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:Someone ${uid}\r\nEND:VCARD\r\n`;
const todo = (uid: string): string =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VTODO\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Buy milk\r\nEND:VTODO\r\nEND:VCALENDAR\r\n`;

describe('DAV content rules for address books and calendars', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());
  const sequence = async (): Promise<number> => (await server.store.identity()).sequence;

  const refused = async (response: Response, status: number, ns: string, condition: string): Promise<void> => {
    assert.equal(response.status, status);
    const error = await xmlBody(response);
    assert.ok(error.children.some((c) => c.ns === ns && c.name === condition), `no ${condition} in the error body`);
    assert.notEqual(error.children.find((c) => c.name === 'message')?.text ?? '', '');
  };

  test('a malformed vCard answers 403 valid-address-data and stores nothing', async () => {
    const before = await sequence();
    await refused(await davRequest(server, 'PUT', '/dav/alice/contacts/bad.vcf', { body: 'BEGIN:VCARD\r\nFN:x\r\n', headers: VCARD }), 403, NS.carddav, 'valid-address-data');
    assert.equal(await sequence(), before);
  });

  test('a vCard without a UID answers 403 valid-address-data', async () => {
    await refused(await davRequest(server, 'PUT', '/dav/alice/contacts/nouid.vcf', { body: 'BEGIN:VCARD\r\nVERSION:4.0\r\nFN:x\r\nEND:VCARD\r\n', headers: VCARD }), 403, NS.carddav, 'valid-address-data');
  });

  test('content that is not a vCard answers 403 supported-address-data', async () => {
    await refused(await davRequest(server, 'PUT', '/dav/alice/contacts/x.txt', { body: 'hello', headers: { 'content-type': 'text/plain' } }), 403, NS.carddav, 'supported-address-data');
  });

  test('a second contact with the same UID answers 409 no-uid-conflict naming the first', async () => {
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/contacts/one.vcf', { body: card('same'), headers: VCARD })).status, 201);
    const response = await davRequest(server, 'PUT', '/dav/alice/contacts/two.vcf', { body: card('same'), headers: VCARD });
    assert.equal(response.status, 409);
    const error = await xmlBody(response);
    const conflict = error.children.find((c) => c.ns === NS.carddav && c.name === 'no-uid-conflict');
    assert.equal(conflict?.children[0]?.text, '/dav/alice/contacts/one.vcf');
  });

  test('Apple contact groups (X-ADDRESSBOOKSERVER-KIND:group) are stored and served byte for byte', async () => {
    const group = 'BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iOS 17.0//EN\r\nN:Friends\r\nFN:Friends\r\nX-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:same\r\nUID:group-1\r\nEND:VCARD\r\n';
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/contacts/group-1.vcf', { body: group, headers: VCARD })).status, 201);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/contacts/group-1.vcf')).text(), group);
  });

  test('a task list takes VTODO; a calendar of events refuses it with supported-calendar-component', async () => {
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/tasks/milk.ics', { body: todo('milk'), headers: ICS })).status, 201);
    await refused(await davRequest(server, 'PUT', '/dav/alice/calendar/milk.ics', { body: todo('milk2'), headers: ICS }), 403, NS.caldav, 'supported-calendar-component');
  });

  test('a file moved into an address book must be a vCard: otherwise nothing moves', async () => {
    // Every user has a files folder.
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/files/note.txt', { body: 'not a card', headers: { 'content-type': 'text/plain' } })).status, 201);
    const response = await davRequest(server, 'MOVE', '/dav/alice/files/note.txt', { headers: { destination: '/dav/alice/contacts/note.vcf' } });
    assert.equal(response.status, 403);
    assert.equal((await davRequest(server, 'GET', '/dav/alice/files/note.txt')).status, 200);
    assert.equal((await davRequest(server, 'GET', '/dav/alice/contacts/note.vcf')).status, 404);
  });
});
