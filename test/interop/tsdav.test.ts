// tsdav (npm) as a TypeScript CardDAV client against a real Holdfast server: discovery from
// the bare server URL, the address books, creating, fetching, updating (with an etag) and
// deleting vCards, addressbook-multiget, addressbook-query, and a sync-token delta after
// changes. Each step is tsdav's own function called as an app calls it; what the server then
// holds is checked with a plain GET, not taken from tsdav's word. Every test works on cards of
// its own, so each reads on its own; the sync tests start from a token they read first.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { createDAVClient, type DAVAddressBook, type DAVResponse } from 'tsdav';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus } from '../dav/dav-client.ts';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { generateVCard } from './generated-items.ts';

type TsdavClient = Awaited<ReturnType<typeof createDAVClient>>;

const fixture = (name: string): Promise<string> => readFile(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');

/** A property's text as tsdav parsed it: a string, a number (tsdav turns numeric text into one) or CDATA. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (typeof value === 'object' && value !== null && '_cdata' in value) return textOf(value._cdata);
  return undefined;
}

/**
 * A vCard as tsdav reads it from a report: the server escapes CR as &#13;, so the CRLF line
 * ends survive XML parsing, but tsdav trims the text, which drops the final CRLF.
 */
const asReported = (vcard: string): string => vcard.trim();

/** The path of an absolute URL tsdav hands back, for the test's own requests. */
const pathOf = (url: string): string => new URL(url).pathname;

/** The sync token at the end of a sync-collection answer, as tsdav parsed it. */
function syncTokenIn(responses: DAVResponse[]): string | undefined {
  const raw = responses[0]?.raw as { multistatus?: { syncToken?: unknown } } | undefined;
  return textOf(raw?.multistatus?.syncToken);
}

describe('tsdav (npm) as a CardDAV client against a real server', () => {
  let server: Harness;
  let client: TsdavClient;
  let contactsUrl: string;

  before(async () => {
    server = await startHarness({ config: { logLevel: 'warn' } });
    const created = await server.accounts.createAppPassword('alice', 'tsdav');
    assert.equal(created.kind, 'created');
    // defaultAccountType makes tsdav discover the account here, as an app does at sign-in.
    client = await createDAVClient({
      serverUrl: `${server.url}/`,
      credentials: { username: 'alice', password: created.kind === 'created' ? created.secret : '' },
      authMethod: 'Basic',
      defaultAccountType: 'carddav',
    });
    contactsUrl = `${server.url}/dav/alice/contacts/`;
  });
  after(async () => {
    await server.close();
  });

  /** What the server holds at a URL: status, body and ETag of a plain GET. */
  async function held(url: string): Promise<{ status: number; text: string; etag: string | null }> {
    const response = await davRequest(server, 'GET', pathOf(url));
    return { status: response.status, text: await response.text(), etag: response.headers.get('etag') };
  }

  async function contactsBook(): Promise<DAVAddressBook> {
    const books = await client.fetchAddressBooks();
    const book = books.find((candidate) => candidate.url === contactsUrl);
    assert.ok(book, `no address book at ${contactsUrl}: ${JSON.stringify(books.map((b) => b.url))}`);
    return book;
  }

  /** Creates a card with tsdav and returns its URL and the ETag the server answers a GET with. */
  async function createCard(book: DAVAddressBook, filename: string, vcard: string): Promise<{ url: string; etag: string }> {
    const response = await client.createVCard({ addressBook: book, vCardString: vcard, filename });
    assert.equal(response.status, 201, `PUT ${filename}: ${await response.text()}`);
    const url = `${contactsUrl}${filename}`;
    const stored = await held(url);
    assert.ok(stored.etag, `GET ${url} has no ETag`);
    return { url, etag: stored.etag };
  }

  test('discovery from the bare server URL follows /.well-known/carddav to the principal and the address book home', async () => {
    const account = await client.createAccount({ account: { accountType: 'carddav' } });
    // A root URL of /dav/ (not the bare /) shows the well-known redirect was followed.
    assert.equal(account.rootUrl, `${server.url}/dav/`);
    assert.equal(account.principalUrl, `${server.url}/dav/principals/alice/`);
    assert.equal(account.homeUrl, `${server.url}/dav/alice/`);
  });

  test("the address books listed are the new user's Contacts only, with a ctag, a sync token and the CardDAV reports", async () => {
    const books = await client.fetchAddressBooks();
    assert.deepEqual(
      books.map((book) => book.url),
      [contactsUrl],
    );
    const [book] = books;
    assert.equal(book?.displayName, 'Contacts');
    assert.ok((book?.resourcetype as string[] | undefined)?.includes('addressbook'));
    assert.match(textOf(book?.ctag) ?? '', /\S/);
    assert.match(book?.syncToken ?? '', /^urn:holdfast:sync\//);
    assert.deepEqual([...(book?.reports as string[])].sort(), ['addressbookMultiget', 'addressbookQuery', 'syncCollection']);
  });

  test('createVCard stores the vCard byte for byte at the name given', async () => {
    const vcard = await fixture('thunderbird-contact-v4.vcf');
    const { url } = await createCard(await contactsBook(), 'ada-lovelace.vcf', vcard);
    assert.equal(url, `${server.url}/dav/alice/contacts/ada-lovelace.vcf`);
    const stored = await held(url);
    assert.equal(stored.status, 200);
    assert.equal(stored.text, vcard);
  });

  test("createVCard at a name already taken answers 412 (tsdav sends If-None-Match: *) and the first card stays", async () => {
    const book = await contactsBook();
    const first = generateVCard(1);
    const { url, etag } = await createCard(book, 'taken.vcf', first.text);
    const again = await client.createVCard({ addressBook: book, vCardString: generateVCard(2).text, filename: 'taken.vcf' });
    assert.equal(again.status, 412);
    assert.deepEqual(await held(url), { status: 200, text: first.text, etag });
  });

  test('createVCard with a UID another card in the address book has answers 409 no-uid-conflict naming that card, and stores nothing', async () => {
    const book = await contactsBook();
    const card = generateVCard(3);
    const { url } = await createCard(book, 'uid-first.vcf', card.text);
    const second = await client.createVCard({ addressBook: book, vCardString: card.text, filename: 'uid-second.vcf' });
    assert.equal(second.status, 409);
    assert.match(await second.text(), new RegExp(`<card:no-uid-conflict><d:href>${pathOf(url)}</d:href></card:no-uid-conflict>`));
    assert.equal((await held(`${contactsUrl}uid-second.vcf`)).status, 404);
  });

  test('createVCard with a vCard that does not parse answers 403 valid-address-data and stores nothing', async () => {
    const response = await client.createVCard({ addressBook: await contactsBook(), vCardString: 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut off\r\n', filename: 'cut-off.vcf' });
    assert.equal(response.status, 403);
    assert.match(await response.text(), /<card:valid-address-data\/>/);
    assert.equal((await held(`${contactsUrl}cut-off.vcf`)).status, 404);
  });

  test('fetchVCards lists every card with the etag and the content the server holds', async () => {
    const book = await contactsBook();
    const erika = await fixture('davx5-contact-v3.vcf');
    const { url } = await createCard(book, 'erika-mustermann.vcf', erika);
    const fetched = await client.fetchVCards({ addressBook: book });
    const card = fetched.find((candidate) => candidate.url === url);
    assert.ok(card, `${url} is not among ${JSON.stringify(fetched.map((c) => c.url))}`);
    const stored = await held(url);
    assert.equal(card.etag, stored.etag);
    // Non-ASCII (Heidestraße, Köln, Schlüssel) comes through as UTF-8.
    assert.equal(textOf(card.data), asReported(erika));
    // Every card listed is one the server holds, with the same etag.
    for (const listed of fetched) assert.equal(listed.etag, (await held(listed.url)).etag, listed.url);
  });

  test('fetchVCards without multiget (address data straight from addressbook-query) answers the same cards as with it', async () => {
    const book = await contactsBook();
    await createCard(book, 'no-multiget.vcf', generateVCard(4).text);
    const byUrl = (cards: { url: string }[]): { url: string }[] => [...cards].sort((a, b) => a.url.localeCompare(b.url));
    const withMultiGet = await client.fetchVCards({ addressBook: book });
    const withQuery = await client.fetchVCards({ addressBook: book, useMultiGet: false });
    assert.ok(withQuery.some((card) => card.url === `${contactsUrl}no-multiget.vcf`));
    assert.deepEqual(byUrl(withQuery), byUrl(withMultiGet));
  });

  test('updateVCard with the current etag replaces the card, and the server holds the new version under a new etag', async () => {
    const book = await contactsBook();
    const { url, etag } = await createCard(book, 'update-current.vcf', generateVCard(10).text);
    const edited = generateVCard(10, 1).text;
    const response = await client.updateVCard({ vCard: { url, etag, data: edited } });
    assert.equal(response.status, 204);
    const stored = await held(url);
    assert.equal(stored.text, edited);
    assert.notEqual(stored.etag, etag);
  });

  test('updateVCard with a stale etag answers 412 and changes nothing', async () => {
    const book = await contactsBook();
    const { url, etag: oldEtag } = await createCard(book, 'update-stale.vcf', generateVCard(11).text);
    const first = await client.updateVCard({ vCard: { url, etag: oldEtag, data: generateVCard(11, 1).text } });
    assert.equal(first.status, 204);
    const before = await held(url);
    // A second device still holding the old etag tries its own edit.
    const stale = await client.updateVCard({ vCard: { url, etag: oldEtag, data: generateVCard(11, 2).text } });
    assert.equal(stale.status, 412);
    assert.deepEqual(await held(url), before);
    assert.equal(before.text, generateVCard(11, 1).text);
  });

  test('deleteVCard with a stale etag answers 412 and the card stays', async () => {
    const book = await contactsBook();
    const { url, etag: oldEtag } = await createCard(book, 'delete-stale.vcf', generateVCard(20).text);
    assert.equal((await client.updateVCard({ vCard: { url, etag: oldEtag, data: generateVCard(20, 1).text } })).status, 204);
    const stale = await client.deleteVCard({ vCard: { url, etag: oldEtag } });
    assert.equal(stale.status, 412);
    const stored = await held(url);
    assert.equal(stored.status, 200);
    assert.equal(stored.text, generateVCard(20, 1).text);
  });

  test('deleteVCard with the current etag removes the card: a GET answers 404 and fetchVCards no longer lists it', async () => {
    const book = await contactsBook();
    const { url, etag } = await createCard(book, 'delete-current.vcf', generateVCard(21).text);
    const response = await client.deleteVCard({ vCard: { url, etag } });
    assert.equal(response.status, 204);
    assert.equal((await held(url)).status, 404);
    const urls = (await client.fetchVCards({ addressBook: book })).map((card) => card.url);
    assert.ok(!urls.includes(url), JSON.stringify(urls));
  });

  test('addressBookMultiGet answers the named cards with their etags and address data', async () => {
    const book = await contactsBook();
    const cards = [generateVCard(30), generateVCard(31), generateVCard(32)];
    const urls: string[] = [];
    for (const card of cards) urls.push((await createCard(book, `${card.uid}.vcf`, card.text)).url);
    const named = [urls[0], urls[2]].map((url) => pathOf(url ?? ''));
    const responses = await client.addressBookMultiGet({
      url: contactsUrl,
      props: { 'd:getetag': {}, 'card:address-data': {} },
      objectUrls: named,
      depth: '1',
    });
    assert.deepEqual(responses.map((response) => response.href).sort(), named.sort());
    for (const response of responses) {
      const url = `${server.url}${response.href ?? ''}`;
      const stored = await held(url);
      assert.equal(textOf(response.props?.getetag), stored.etag, url);
      assert.equal(textOf(response.props?.addressData), asReported(stored.text), url);
    }
  });

  test('addressBookMultiGet naming a card that does not exist fails in tsdav, because the server answers 404 for that href', async () => {
    const book = await contactsBook();
    const { url } = await createCard(book, 'multiget-present.vcf', generateVCard(33).text);
    // tsdav's collectionQuery throws on any non-2xx response in the multistatus.
    await assert.rejects(
      client.addressBookMultiGet({
        url: contactsUrl,
        props: { 'd:getetag': {} },
        objectUrls: [pathOf(url), '/dav/alice/contacts/never-created.vcf'],
        depth: '1',
      }),
      /Collection query failed: 404/,
    );
    // The 404 is for the missing href inside a 207, not for the whole report.
    const entries = await multistatus(
      await davRequest(server, 'REPORT', pathOf(contactsUrl), {
        headers: { depth: '1', 'content-type': 'application/xml' },
        body: `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:prop><d:getetag/></d:prop><d:href>${pathOf(url)}</d:href><d:href>/dav/alice/contacts/never-created.vcf</d:href></card:addressbook-multiget>`,
      }),
    );
    assert.deepEqual(
      entries.map((entry) => [entry.href, entry.status ?? entry.props.get(`{${NS.dav}}getetag`)?.status]),
      [
        [pathOf(url), 200],
        ['/dav/alice/contacts/never-created.vcf', 404],
      ],
    );
  });

  test('addressBookQuery with a text-match on EMAIL answers only the matching card', async () => {
    const book = await contactsBook();
    const grace = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'UID:tsdav-query-grace',
      'FN:Grace Hopper',
      'N:Hopper;Grace;;;',
      'EMAIL;TYPE=INTERNET:grace@cobol-compilers.example',
      'END:VCARD',
      '',
    ].join('\r\n');
    const { url } = await createCard(book, 'grace-hopper.vcf', grace);
    await createCard(book, 'query-other.vcf', generateVCard(40).text);
    const responses = await client.addressBookQuery({
      url: contactsUrl,
      props: { 'd:getetag': {}, 'card:address-data': {} },
      filters: { 'card:prop-filter': { _attributes: { name: 'EMAIL' }, 'card:text-match': { _attributes: { collation: 'i;unicode-casemap', 'match-type': 'contains' }, _text: 'COBOL-compilers' } } },
      depth: '1',
    });
    assert.deepEqual(
      responses.map((response) => response.href),
      [pathOf(url)],
    );
    assert.equal(textOf(responses[0]?.props?.addressData), asReported(grace));
    assert.equal(textOf(responses[0]?.props?.getetag), (await held(url)).etag);
  });

  test('syncCollection from the sync token answers only what changed since: created and updated with etags, deleted as 404, and a new token', async () => {
    const book = await contactsBook();
    const kept = await createCard(book, 'sync-kept.vcf', generateVCard(50).text);
    const edited = await createCard(book, 'sync-edited.vcf', generateVCard(51).text);
    const removed = await createCard(book, 'sync-removed.vcf', generateVCard(52).text);
    const token = (await contactsBook()).syncToken;
    assert.ok(token);

    const added = await createCard(book, 'sync-added.vcf', generateVCard(53).text);
    assert.equal((await client.updateVCard({ vCard: { url: edited.url, etag: edited.etag, data: generateVCard(51, 1).text } })).status, 204);
    assert.equal((await client.deleteVCard({ vCard: { url: removed.url, etag: removed.etag } })).status, 204);

    const delta = await client.syncCollection({ url: contactsUrl, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: token });
    const byHref = new Map(delta.map((response) => [response.href, response]));
    assert.deepEqual([...byHref.keys()].sort(), [added.url, edited.url, removed.url].map(pathOf).sort());
    assert.ok(!byHref.has(pathOf(kept.url)));
    for (const url of [added.url, edited.url]) assert.equal(textOf(byHref.get(pathOf(url))?.props?.getetag), (await held(url)).etag, url);
    assert.equal(byHref.get(pathOf(removed.url))?.status, 404);

    const next = syncTokenIn(delta);
    assert.match(next ?? '', /^urn:holdfast:sync\//);
    assert.notEqual(next, token);
    // The new token is where the address book now stands: a sync from it is empty.
    assert.equal((await contactsBook()).syncToken, next);
    const again = await client.syncCollection({ url: contactsUrl, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: next });
    assert.deepEqual(
      again.filter((response) => response.href !== undefined && response.href !== pathOf(contactsUrl)),
      [],
    );
  });

  test('smartCollectionSyncDetailed (webdav) turns the delta into created, updated and deleted cards with their content', async () => {
    const book = await contactsBook();
    const edited = await createCard(book, 'smart-edited.vcf', generateVCard(60).text);
    const removed = await createCard(book, 'smart-removed.vcf', generateVCard(61).text);
    const local = { ...(await contactsBook()), objects: await client.fetchVCards({ addressBook: book }), objectMultiGet: client.addressBookMultiGet };

    const added = await createCard(book, 'smart-added.vcf', generateVCard(62).text);
    assert.equal((await client.updateVCard({ vCard: { url: edited.url, etag: edited.etag, data: generateVCard(60, 1).text } })).status, 204);
    assert.equal((await client.deleteVCard({ vCard: { url: removed.url, etag: removed.etag } })).status, 204);

    const synced = await client.smartCollectionSyncDetailed({ collection: local, method: 'webdav' });
    const summary = (objects: { url: string; etag?: string; data?: unknown }[]): [string, string | undefined, string | undefined][] =>
      objects.map((object) => [object.url, object.etag, textOf(object.data)]);
    assert.deepEqual(summary(synced.objects.created), [[added.url, (await held(added.url)).etag ?? undefined, asReported(generateVCard(62).text)]]);
    assert.deepEqual(summary(synced.objects.updated), [[edited.url, (await held(edited.url)).etag ?? undefined, asReported(generateVCard(60, 1).text)]]);
    assert.deepEqual(
      synced.objects.deleted.map((object) => object.url),
      [removed.url],
    );
    assert.notEqual(synced.syncToken, local.syncToken);

    const quiet = await client.smartCollectionSyncDetailed({ collection: { ...local, syncToken: synced.syncToken }, method: 'webdav' });
    assert.deepEqual(quiet.objects, { created: [], updated: [], deleted: [] });
  });

  test("isCollectionDirty compares the getctag: clean while nothing changes, dirty with a new ctag after a card is added", async () => {
    const book = await contactsBook();
    assert.deepEqual(await client.isCollectionDirty({ collection: book }), { isDirty: false, newCtag: textOf(book.ctag) });
    await createCard(book, 'ctag-added.vcf', generateVCard(70).text);
    const after = await client.isCollectionDirty({ collection: book });
    assert.equal(after.isDirty, true);
    assert.notEqual(after.newCtag, textOf(book.ctag));
    assert.equal(after.newCtag, textOf((await contactsBook()).ctag));
  });

  test('smartCollectionSyncDetailed without a sync token (a first sync) answers every card as created, and the token the address book holds', async () => {
    const book = await contactsBook();
    await createCard(book, 'first-sync.vcf', generateVCard(80).text);
    const now = await contactsBook();
    const synced = await client.smartCollectionSyncDetailed({
      collection: { ...now, syncToken: undefined, objects: [], objectMultiGet: client.addressBookMultiGet },
      method: 'webdav',
    });
    const everything = await client.fetchVCards({ addressBook: book });
    const sorted = (cards: { url: string; etag?: string; data?: unknown }[]): [string, string | undefined, string | undefined][] =>
      cards.map((card): [string, string | undefined, string | undefined] => [card.url, card.etag, textOf(card.data)]).sort(([a], [b]) => a.localeCompare(b));
    assert.ok(everything.some((card) => card.url === `${contactsUrl}first-sync.vcf`));
    assert.deepEqual(sorted(synced.objects.created), sorted(everything));
    assert.deepEqual(synced.objects.updated, []);
    assert.deepEqual(synced.objects.deleted, []);
    assert.equal(synced.syncToken, now.syncToken);
  });

  test('a sync token from another store answers 403 valid-sync-token, which tsdav reports as a failed sync (the app then syncs afresh)', async () => {
    const book = await contactsBook();
    const foreign = book.syncToken?.replace(/^(urn:holdfast:sync\/)[^/]+/, '$100000000-0000-4000-8000-000000000000');
    assert.notEqual(foreign, book.syncToken);
    const [answer] = await client.syncCollection({ url: contactsUrl, props: { 'd:getetag': {} }, syncLevel: 1, syncToken: foreign });
    assert.equal(answer?.status, 403);
    assert.match(textOf(answer?.raw) ?? '', /<d:valid-sync-token\/>/);
    await assert.rejects(
      client.smartCollectionSyncDetailed({ collection: { ...book, syncToken: foreign, objects: [], objectMultiGet: client.addressBookMultiGet }, method: 'webdav' }),
      /Collection sync failed: 403/,
    );
  });
});
