import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NS, childElements } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, hrefIn, multistatus, propfindBody } from './dav-client.ts';

describe('DAV discovery', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());

  test('iOS and DAVx5: from the bare server URL to the principal, the home and its collections', async () => {
    const [root] = await multistatus(await davRequest(server, 'PROPFIND', '/', { headers: { depth: '0' }, body: propfindBody('d:current-user-principal') }));
    assert.equal(root?.href, '/');
    const principal = hrefIn(root, `{${NS.dav}}current-user-principal`);
    assert.equal(principal, '/dav/principals/alice/');

    const [me] = await multistatus(
      await davRequest(server, 'PROPFIND', principal, {
        headers: { depth: '0' },
        body: propfindBody('card:addressbook-home-set', 'cal:calendar-home-set', 'cal:calendar-user-address-set', 'd:principal-URL', 'd:displayname'),
      }),
    );
    const home = hrefIn(me, `{${NS.carddav}}addressbook-home-set`);
    assert.equal(home, '/dav/alice/');
    assert.equal(hrefIn(me, `{${NS.caldav}}calendar-home-set`), '/dav/alice/');
    assert.equal(hrefIn(me, `{${NS.dav}}principal-URL`), '/dav/principals/alice/');
    assert.match(hrefIn(me, `{${NS.caldav}}calendar-user-address-set`) ?? '', /^mailto:alice@/);

    const entries = await multistatus(
      await davRequest(server, 'PROPFIND', home, {
        headers: { depth: '1' },
        body: propfindBody('d:resourcetype', 'd:displayname', 'cs:getctag', 'cal:supported-calendar-component-set', 'card:supported-address-data', 'd:current-user-principal'),
      }),
    );
    // The defaults in their own order: macOS reads only the first address book.
    assert.deepEqual(entries.map((e) => e.href), ['/dav/alice/', '/dav/alice/contacts/', '/dav/alice/calendar/', '/dav/alice/tasks/', '/dav/alice/files/']);
    const types = (href: string): string[] =>
      entries.find((e) => e.href === href)?.props.get(`{${NS.dav}}resourcetype`)?.element.children.map((c) => c.name) ?? [];
    assert.deepEqual(types('/dav/alice/contacts/'), ['collection', 'addressbook']);
    assert.deepEqual(types('/dav/alice/calendar/'), ['collection', 'calendar']);
    assert.deepEqual(types('/dav/alice/tasks/'), ['collection', 'calendar']);
    assert.deepEqual(types('/dav/alice/files/'), ['collection'], 'a plain WebDAV folder, for backup apps');
    const components = (href: string): string[] =>
      childElements(entries.find((e) => e.href === href)?.props.get(`{${NS.caldav}}supported-calendar-component-set`)?.element ?? { ns: '', name: '', attributes: {}, children: [], text: '' }, NS.caldav, 'comp').map(
        (c) => c.attributes.name ?? '',
      );
    assert.deepEqual(components('/dav/alice/calendar/'), ['VEVENT']);
    assert.deepEqual(components('/dav/alice/tasks/'), ['VTODO']);
    assert.equal(entries.find((e) => e.href === '/dav/alice/contacts/')?.props.get(`{${NS.caldav}}supported-calendar-component-set`)?.status, 404);
    assert.equal(entries.find((e) => e.href === '/dav/alice/contacts/')?.props.get(`{${NS.carddav}}supported-address-data`)?.status, 200);

    // iOS and DAVx5 treat a collection as read-only unless the privileges say otherwise.
    const [privileges] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/contacts/', { headers: { depth: '0' }, body: propfindBody('d:current-user-privilege-set') }));
    const granted = privileges?.props.get('{DAV:}current-user-privilege-set')?.element.children.map((p) => p.children[0]?.name);
    assert.ok(granted?.includes('write-content') && granted.includes('bind') && granted.includes('unbind'));
  });

  test('the well-known URLs redirect to /dav/ without asking for a password', async () => {
    for (const service of ['carddav', 'caldav']) {
      for (const method of ['GET', 'PROPFIND']) {
        const response = await fetch(`${server.url}/.well-known/${service}`, { method, redirect: 'manual' });
        assert.equal(response.status, 301);
        assert.equal(response.headers.get('location'), '/dav/');
      }
    }
  });

  test('OPTIONS names the DAV classes clients look for and the methods allowed', async () => {
    const response = await davRequest(server, 'OPTIONS', '/dav/alice/contacts/');
    assert.equal(response.status, 200);
    const classes = (response.headers.get('dav') ?? '').split(',').map((c) => c.trim());
    for (const wanted of ['1', '2', '3', 'addressbook', 'calendar-access', 'extended-mkcol']) assert.ok(classes.includes(wanted), `DAV header lacks ${wanted}`);
    for (const method of ['PROPFIND', 'PROPPATCH', 'MKCOL', 'MKCALENDAR', 'PUT', 'DELETE', 'COPY', 'MOVE', 'LOCK', 'UNLOCK']) {
      assert.match(response.headers.get('allow') ?? '', new RegExp(`\\b${method}\\b`));
    }
  });

  test('a method DAV does not define (POST) answers 405 with Allow', async () => {
    const response = await davRequest(server, 'POST', '/dav/alice/contacts/', { body: 'x' });
    assert.equal(response.status, 405);
    assert.match(response.headers.get('allow') ?? '', /PROPFIND/);
  });

  test('a request without credentials is challenged for Basic sign-in', async () => {
    const response = await fetch(`${server.url}/dav/alice/`, { method: 'PROPFIND', headers: { depth: '0' } });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Basic /);
  });

  test('signing in with the account password works too', async () => {
    const { basic, PASSWORDS } = await import('../server/harness.ts');
    const response = await davRequest(server, 'PROPFIND', '/dav/alice/', { headers: { depth: '0' }, as: basic('alice', PASSWORDS.alice) });
    assert.equal(response.status, 207);
  });

  test('another user\'s home, principal and collections answer 404, exactly like paths that do not exist', async () => {
    for (const path of ['/dav/bob/', '/dav/principals/bob/', '/dav/bob/contacts/', '/dav/bob/contacts/x.vcf']) {
      const real = await davRequest(server, 'PROPFIND', path, { headers: { depth: '0' } });
      const madeUp = await davRequest(server, 'PROPFIND', path.replace('bob', 'nobody'), { headers: { depth: '0' } });
      assert.equal(real.status, 404, path);
      assert.equal(madeUp.status, 404, path);
      assert.equal((await real.text()).replace('bob', 'nobody'), await madeUp.text(), `the 404 for ${path} differs from one for a user that does not exist`);
    }
    const put = await davRequest(server, 'PUT', '/dav/bob/contacts/x.vcf', { body: 'x' });
    assert.equal(put.status, 404);
  });

  test('macOS: getctag changes when an item in the collection changes or is deleted', async () => {
    const ctag = async (): Promise<string> => {
      const [entry] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/contacts/', { headers: { depth: '0' }, body: propfindBody('cs:getctag') }));
      return entry?.props.get(`{${NS.calendarServer}}getctag`)?.element.text ?? '';
    };
    const before = await ctag();
    assert.notEqual(before, '');
    const card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ctag-1\r\nFN:Ada\r\nN:;Ada;;;\r\nEND:VCARD\r\n';
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/contacts/ctag-1.vcf', { body: card, headers: { 'content-type': 'text/vcard' } })).status, 201);
    const afterPut = await ctag();
    assert.notEqual(afterPut, before);
    assert.equal((await davRequest(server, 'DELETE', '/dav/alice/contacts/ctag-1.vcf')).status, 204);
    assert.notEqual(await ctag(), afterPut);
  });

  test('macOS shows only the first address book in the home: the default one is listed first, before others by name', async () => {
    const mkcol = `<d:mkcol xmlns:d="DAV:" xmlns:card="${NS.carddav}"><d:set><d:prop><d:resourcetype><d:collection/><card:addressbook/></d:resourcetype></d:prop></d:set></d:mkcol>`;
    assert.equal((await davRequest(server, 'MKCOL', '/dav/alice/a-work/', { body: mkcol, headers: { 'content-type': 'application/xml' } })).status, 201);
    const entries = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/', { headers: { depth: '1' }, body: propfindBody('d:resourcetype') }));
    const addressBooks = entries
      .filter((entry) => entry.props.get('{DAV:}resourcetype')?.element.children.some((child) => child.ns === NS.carddav && child.name === 'addressbook'))
      .map((entry) => entry.href);
    assert.deepEqual(addressBooks, ['/dav/alice/contacts/', '/dav/alice/a-work/']);
  });
});
