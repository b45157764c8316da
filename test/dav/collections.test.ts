import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NS } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody } from './dav-client.ts';

describe('DAV collections: MKCOL, MKCALENDAR, DELETE, COPY, MOVE', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());
  const kindOf = async (path: string): Promise<string | undefined> => {
    const alice = await server.store.accounts.getUserByName('alice');
    return (await server.store.forUser(alice?.id ?? 0).getCollection(path))?.kind;
  };
  const status = async (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<number> =>
    (await davRequest(server, method, path, { headers, ...(body === undefined ? {} : { body }) })).status;

  test('a plain MKCOL makes a file collection; again answers 405; without a parent 409; nested ones work', async () => {
    assert.equal(await status('MKCOL', '/dav/alice/photos/'), 201);
    assert.equal(await kindOf('photos'), 'files');
    assert.equal(await status('MKCOL', '/dav/alice/photos/'), 405);
    assert.equal(await status('MKCOL', '/dav/alice/none/sub/'), 409);
    assert.equal(await status('MKCOL', '/dav/alice/photos/2024/'), 201);
    assert.equal(await kindOf('photos/2024'), 'files');
  });

  test('an extended MKCOL (RFC 5689) makes an address book with its display name', async () => {
    const body = `<d:mkcol xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype><d:displayname>Family</d:displayname></d:prop></d:set></d:mkcol>`;
    assert.equal(await status('MKCOL', '/dav/alice/family/', { 'content-type': 'application/xml' }, body), 201);
    assert.equal(await kindOf('family'), 'contacts');
    const [entry] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/family/', { headers: { depth: '0' }, body: propfindBody('d:displayname') }));
    assert.equal(entry?.props.get('{DAV:}displayname')?.element.text, 'Family');
  });

  test('a MKCOL body that is not XML answers 415 (litmus mkcol_with_body)', async () => {
    assert.equal(await status('MKCOL', '/dav/alice/weird/', { 'content-type': 'xzy-foo/bar-512' }, 'afafafaf'), 415);
    assert.equal(await kindOf('weird'), undefined);
  });

  test('MKCALENDAR makes a calendar, or a task list when it holds only VTODO', async () => {
    assert.equal(await status('MKCALENDAR', '/dav/alice/holidays/'), 201);
    assert.equal(await kindOf('holidays'), 'calendar');
    const todo = `<c:mkcalendar xmlns:d="DAV:" xmlns:c="${NS.caldav}"><d:set><d:prop><d:displayname>Chores</d:displayname><c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`;
    assert.equal(await status('MKCALENDAR', '/dav/alice/chores/', { 'content-type': 'application/xml' }, todo), 201);
    assert.equal(await kindOf('chores'), 'tasks');
  });

  test('a calendar cannot be made inside a calendar, nor an address book inside an address book (403)', async () => {
    assert.equal(await status('MKCALENDAR', '/dav/alice/holidays/inner/'), 403);
    const book = `<d:mkcol xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>`;
    assert.equal(await status('MKCOL', '/dav/alice/family/inner/', { 'content-type': 'application/xml' }, book), 403);
    assert.equal(await kindOf('family/inner'), undefined);
  });

  test('COPY and MOVE of an item: 201 to a new name, 412 onto an existing one with Overwrite: F, 204 with T', async () => {
    await davRequest(server, 'PUT', '/dav/alice/photos/a.jpg', { body: 'A' });
    await davRequest(server, 'PUT', '/dav/alice/photos/b.jpg', { body: 'B' });
    assert.equal(await status('COPY', '/dav/alice/photos/a.jpg', { destination: `${server.url}/dav/alice/photos/c.jpg` }), 201);
    assert.equal(await status('COPY', '/dav/alice/photos/a.jpg', { destination: '/dav/alice/photos/b.jpg', overwrite: 'F' }), 412);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/photos/b.jpg')).text(), 'B');
    assert.equal(await status('MOVE', '/dav/alice/photos/a.jpg', { destination: '/dav/alice/photos/b.jpg', overwrite: 'T' }), 204);
    assert.equal(await status('GET', '/dav/alice/photos/a.jpg'), 404);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/photos/b.jpg')).text(), 'A');
  });

  test('a MOVE into another collection keeps the content, and a percent-encoded Destination is decoded', async () => {
    assert.equal(await status('MOVE', '/dav/alice/photos/c.jpg', { destination: '/dav/alice/photos/2024/sch%C3%B6n.jpg' }), 201);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/photos/2024/sch%C3%B6n.jpg')).text(), 'A');
    assert.equal(await status('GET', '/dav/alice/photos/c.jpg'), 404);
  });

  test('COPY and MOVE refuse another server (502), a missing parent (409), the same resource (403) and another user (403)', async () => {
    assert.equal(await status('COPY', '/dav/alice/photos/b.jpg', { destination: 'http://elsewhere.example/dav/alice/photos/x.jpg' }), 502);
    assert.equal(await status('COPY', '/dav/alice/photos/b.jpg', { destination: '/dav/alice/nonesuch/x.jpg' }), 409);
    assert.equal(await status('MOVE', '/dav/alice/photos/b.jpg', { destination: '/dav/alice/photos/b.jpg' }), 403);
    assert.equal(await status('COPY', '/dav/alice/photos/b.jpg', { destination: '/dav/bob/contacts/x.jpg' }), 403);
  });

  test('a refused COPY or MOVE replaces nothing: not a collection for an item that cannot go there, not its own parent', async () => {
    await davRequest(server, 'PUT', '/dav/alice/photos/keep.jpg', { body: 'K' });
    // Items cannot live in the home: the calendar that would be replaced stays.
    assert.equal(await status('MOVE', '/dav/alice/photos/keep.jpg', { destination: '/dav/alice/calendar/', overwrite: 'T' }), 409);
    assert.equal(await kindOf('calendar'), 'calendar');
    // Replacing the collection that holds the source would trash the source itself.
    assert.equal(await status('MOVE', '/dav/alice/photos/keep.jpg', { destination: '/dav/alice/photos/', overwrite: 'T' }), 403);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/photos/keep.jpg')).text(), 'K');
  });

  test('COPY of a collection with Depth 0 copies only the collection; MOVE takes everything inside', async () => {
    assert.equal(await status('COPY', '/dav/alice/photos/', { destination: '/dav/alice/empty-copy/', depth: '0' }), 201);
    const shallow = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/empty-copy/', { headers: { depth: '1' } }));
    assert.equal(shallow.length, 1);
    assert.equal(await status('MOVE', '/dav/alice/photos/', { destination: '/dav/alice/pictures/' }), 201);
    assert.equal(await (await davRequest(server, 'GET', '/dav/alice/pictures/2024/sch%C3%B6n.jpg')).text(), 'A');
    assert.equal(await status('PROPFIND', '/dav/alice/photos/', { depth: '0' }), 404);
  });

  test('DELETE of a collection sends it and everything in it to the trash', async () => {
    assert.equal(await status('DELETE', '/dav/alice/pictures/', { 'if-match': '"some-etag"' }), 412);
    assert.equal(await kindOf('pictures'), 'files');
    assert.equal(await status('DELETE', '/dav/alice/pictures/', { 'if-match': '*' }), 204);
    assert.equal(await status('PROPFIND', '/dav/alice/pictures/2024/', { depth: '0' }), 404);
    assert.equal(await status('DELETE', '/dav/alice/'), 403);
  });
});
