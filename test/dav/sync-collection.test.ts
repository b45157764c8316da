import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NS, childElement } from '../../src/protocols/dav/xml/xml-element.ts';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, multistatus, propfindBody, xmlBody } from './dav-client.ts';

const card = (uid: string): string => `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:${uid}\r\nFN:Person ${uid}\r\nEND:VCARD\r\n`;
const syncBody = (token: string, limit?: number): string =>
  `<d:sync-collection xmlns:d="DAV:"><d:sync-token>${token}</d:sync-token><d:sync-level>1</d:sync-level>${limit ? `<d:limit><d:nresults>${limit}</d:nresults></d:limit>` : ''}<d:prop><d:getetag/></d:prop></d:sync-collection>`;

describe('DAV sync-collection (RFC 6578)', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
    for (let n = 1; n <= 5; n += 1) {
      assert.equal((await davRequest(server, 'PUT', `/dav/alice/contacts/c${n}.vcf`, { body: card(`c${n}`), headers: { 'content-type': 'text/vcard' } })).status, 201);
    }
  });
  after(() => server.close());

  const sync = async (token: string, limit?: number): Promise<{ hrefs: Array<[string, number]>; token: string; truncated: boolean }> => {
    const response = await davRequest(server, 'REPORT', '/dav/alice/contacts/', { body: syncBody(token, limit) });
    assert.equal(response.status, 207);
    const text = await response.text();
    const entries = await multistatus(new Response(text, { status: 207 }));
    const root = await xmlBody(new Response(text));
    const hrefs = entries.filter((e) => e.href !== '/dav/alice/contacts/').map((e): [string, number] => [e.href, e.status ?? e.props.get('{DAV:}getetag')?.status ?? 0]);
    return { hrefs, token: childElement(root, NS.dav, 'sync-token')?.text ?? '', truncated: entries.some((e) => e.href === '/dav/alice/contacts/' && e.status === 507) };
  };

  test('an initial sync lists every item; a sync from its token lists only what changed, deletes as 404', async () => {
    const first = await sync('');
    assert.equal(first.hrefs.length, 5);
    assert.match(first.token, /^urn:holdfast:sync\//);
    assert.deepEqual((await sync(first.token)).hrefs, []);

    await davRequest(server, 'PUT', '/dav/alice/contacts/c2.vcf', { body: card('c2').replace('Person', 'Someone'), headers: { 'content-type': 'text/vcard' } });
    await davRequest(server, 'DELETE', '/dav/alice/contacts/c3.vcf');
    const delta = await sync(first.token);
    assert.deepEqual(delta.hrefs, [['/dav/alice/contacts/c2.vcf', 200], ['/dav/alice/contacts/c3.vcf', 404]]);
    assert.deepEqual((await sync(delta.token)).hrefs, []);
  });

  test('the sync-token property is where a sync would start, and it changes when the collection does', async () => {
    const tokenNow = async (): Promise<string> => {
      const [entry] = await multistatus(await davRequest(server, 'PROPFIND', '/dav/alice/contacts/', { headers: { depth: '0' }, body: propfindBody('d:sync-token') }));
      return entry?.props.get('{DAV:}sync-token')?.element.text ?? '';
    };
    const before = await tokenNow();
    assert.deepEqual((await sync(before)).hrefs, []);
    await davRequest(server, 'PUT', '/dav/alice/contacts/c9.vcf', { body: card('c9'), headers: { 'content-type': 'text/vcard' } });
    assert.notEqual(await tokenNow(), before);
    assert.deepEqual((await sync(before)).hrefs, [['/dav/alice/contacts/c9.vcf', 200]]);
  });

  test('DAVx5 paging: with a limit the answer is truncated (507 on the collection) and continues from its token', async () => {
    const seen = new Set<string>();
    let page = await sync('', 2);
    let rounds = 1;
    while (true) {
      // A deletion the client never saw the item of may be reported as a 404: harmless.
      for (const [href, status] of page.hrefs) if (status === 200) seen.add(href);
      if (!page.truncated) break;
      assert.ok(page.hrefs.length <= 2);
      page = await sync(page.token, 2);
      rounds += 1;
      assert.ok(rounds < 10, 'paging does not end');
    }
    assert.ok(rounds >= 3);
    assert.deepEqual([...seen].sort(), ['/dav/alice/contacts/c1.vcf', '/dav/alice/contacts/c2.vcf', '/dav/alice/contacts/c4.vcf', '/dav/alice/contacts/c5.vcf', '/dav/alice/contacts/c9.vcf']);
  });

  test('a token from another store, an older generation or beyond the log answers 403 valid-sync-token', async () => {
    const { storeId, generation, sequence } = await server.store.identity();
    for (const token of [
      `urn:holdfast:sync/other-store/${generation}/1`,
      `urn:holdfast:sync/${encodeURIComponent(storeId)}/${generation + 1}/1`,
      `urn:holdfast:sync/${encodeURIComponent(storeId)}/${generation}/${sequence + 100}`,
      'http://example.com/some-other-server-token',
      'urn:holdfast:sync/%ZZ/0/1',
    ]) {
      const response = await davRequest(server, 'REPORT', '/dav/alice/contacts/', { body: syncBody(token) });
      assert.equal(response.status, 403, token);
      assert.ok((await xmlBody(response)).children.some((c) => c.name === 'valid-sync-token'), token);
    }
  });
});
