import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest } from './dav-client.ts';

const card = (uid: string, name = 'Ada Lovelace'): string => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:${name}\r\nN:${name.split(' ').reverse().join(';')};;;\r\nEND:VCARD\r\n`;
const VCARD = { 'content-type': 'text/vcard; charset=utf-8' };

describe('DAV items: GET, HEAD, PUT, DELETE', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());
  const sequence = async (): Promise<number> => (await server.store.identity()).sequence;

  test('a PUT creates (201) with a strong ETag that GET and HEAD repeat, with type, length and date', async () => {
    const CARD = card('ada');
    const put = await davRequest(server, 'PUT', '/dav/alice/contacts/ada.vcf', { body: CARD, headers: VCARD });
    assert.equal(put.status, 201);
    const etag = put.headers.get('etag') ?? '';
    assert.match(etag, /^"[^"]+"$/);

    const get = await davRequest(server, 'GET', '/dav/alice/contacts/ada.vcf');
    assert.equal(get.status, 200);
    assert.equal(get.headers.get('etag'), etag);
    assert.equal(get.headers.get('content-type'), VCARD['content-type']);
    assert.equal(get.headers.get('content-length'), String(Buffer.byteLength(CARD)));
    assert.ok(!Number.isNaN(Date.parse(get.headers.get('last-modified') ?? '')));
    assert.equal(await get.text(), CARD);

    const head = await davRequest(server, 'HEAD', '/dav/alice/contacts/ada.vcf');
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('etag'), etag);
    assert.equal(head.headers.get('content-length'), String(Buffer.byteLength(CARD)));
    assert.equal(await head.text(), '');

    const notModified = await davRequest(server, 'GET', '/dav/alice/contacts/ada.vcf', { headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304);
  });

  test('a PUT with the current If-Match replaces (204) and changes the ETag; a stale one changes nothing and answers 412', async () => {
    const [CARD, CARD_2] = [card('match'), card('match', 'Ada King')];
    const first = await davRequest(server, 'PUT', '/dav/alice/contacts/match.vcf', { body: CARD, headers: VCARD });
    const etag = first.headers.get('etag') ?? '';
    const second = await davRequest(server, 'PUT', '/dav/alice/contacts/match.vcf', { body: CARD_2, headers: { ...VCARD, 'if-match': etag } });
    assert.equal(second.status, 204);
    assert.notEqual(second.headers.get('etag'), etag);

    const before = await sequence();
    const stale = await davRequest(server, 'PUT', '/dav/alice/contacts/match.vcf', { body: CARD, headers: { ...VCARD, 'if-match': etag } });
    assert.equal(stale.status, 412);
    assert.match(await stale.text(), /<d:error/);
    assert.equal(await sequence(), before);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/contacts/match.vcf')).text(), CARD_2);
  });

  test("Thunderbird: a create with If-None-Match: * succeeds once; repeating it answers 412 and keeps the first", async () => {
    const [CARD, CARD_2] = [card('tb'), card('tb', 'Ada King')];
    const create = await davRequest(server, 'PUT', '/dav/alice/contacts/tb.vcf', { body: CARD, headers: { ...VCARD, 'if-none-match': '*' } });
    assert.equal(create.status, 201);
    const before = await sequence();
    const again = await davRequest(server, 'PUT', '/dav/alice/contacts/tb.vcf', { body: CARD_2, headers: { ...VCARD, 'if-none-match': '*' } });
    assert.equal(again.status, 412);
    assert.equal(await sequence(), before);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/contacts/tb.vcf')).text(), CARD);
  });

  test('a DELETE sends the item to the trash (it keeps its history); a stale If-Match answers 412 and deletes nothing', async () => {
    const put = await davRequest(server, 'PUT', '/dav/alice/contacts/gone.vcf', { body: card('gone'), headers: VCARD });
    const stale = await davRequest(server, 'DELETE', '/dav/alice/contacts/gone.vcf', { headers: { 'if-match': '"not-the-etag"' } });
    assert.equal(stale.status, 412);
    assert.equal((await davRequest(server, 'GET', '/dav/alice/contacts/gone.vcf')).status, 200);

    const deleted = await davRequest(server, 'DELETE', '/dav/alice/contacts/gone.vcf', { headers: { 'if-match': put.headers.get('etag') ?? '' } });
    assert.equal(deleted.status, 204);
    assert.equal((await davRequest(server, 'GET', '/dav/alice/contacts/gone.vcf')).status, 404);
    assert.equal((await davRequest(server, 'DELETE', '/dav/alice/contacts/gone.vcf')).status, 404);

    const alice = await server.store.accounts.getUserByName('alice');
    const trash = await server.store.forUser(alice?.id ?? 0).listTrash('contacts');
    assert.ok(trash.some((item) => item.name === 'gone.vcf'));
  });

  test('a PUT into a collection that does not exist answers 409, and onto a collection 405', async () => {
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/nowhere/x.vcf', { body: card('x') })).status, 409);
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/loose.txt', { body: 'x' })).status, 409);
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/contacts/', { body: 'x' })).status, 405);
  });

  test('content larger than maxBodyBytes is refused with 413 and the max-resource-size precondition, and nothing is stored', async () => {
    const small = await startHarness({ config: { maxBodyBytes: 1024 } });
    try {
      const before = (await small.store.identity()).sequence;
      const response = await davRequest(small, 'PUT', '/dav/alice/contacts/big.vcf', { body: card('big', 'x'.repeat(4096)), headers: VCARD });
      assert.equal(response.status, 413);
      const body = await response.text();
      assert.ok(body.includes('xmlns:card="urn:ietf:params:xml:ns:carddav"') && body.includes('<card:max-resource-size/>'), body);
      const event = `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:big\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:${'x'.repeat(4096)}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
      const calendar = await davRequest(small, 'PUT', '/dav/alice/calendar/big.ics', { body: event, headers: { 'content-type': 'text/calendar' } });
      assert.equal(calendar.status, 413);
      const calendarBody = await calendar.text();
      assert.ok(calendarBody.includes('xmlns:cal="urn:ietf:params:xml:ns:caldav"') && calendarBody.includes('<cal:max-resource-size/>'), calendarBody);
      assert.equal((await small.store.identity()).sequence, before);
    } finally {
      await small.close();
    }
  });

  test('address books and calendars advertise the limit as max-resource-size', async () => {
    const small = await startHarness({ config: { maxBodyBytes: 4096 } });
    try {
      for (const [path, ns] of [['/dav/alice/contacts/', 'urn:ietf:params:xml:ns:carddav'], ['/dav/alice/calendar/', 'urn:ietf:params:xml:ns:caldav']] as const) {
        const response = await davRequest(small, 'PROPFIND', path, {
          headers: { depth: '0' },
          body: `<d:propfind xmlns:d="DAV:" xmlns:x="${ns}"><d:prop><x:max-resource-size/></d:prop></d:propfind>`,
        });
        assert.equal(response.status, 207);
        assert.match(await response.text(), /max-resource-size[^>]*>4096</);
      }
    } finally {
      await small.close();
    }
  });

  test('names with spaces and non-ASCII characters round-trip through percent-encoding', async () => {
    const path = '/dav/alice/contacts/J%C3%BCrgen%20M%C3%BCller.vcf';
    assert.equal((await davRequest(server, 'PUT', path, { body: card('jm', 'Jürgen Müller'), headers: VCARD })).status, 201);
    assert.equal((await davRequest(server, 'GET', path)).status, 200);
    const alice = await server.store.accounts.getUserByName('alice');
    assert.ok(await server.store.forUser(alice?.id ?? 0).getItem('contacts', 'Jürgen Müller.vcf'));
  });
});
