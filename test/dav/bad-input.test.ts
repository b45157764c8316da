import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHarness, type Harness } from '../server/harness.ts';
import { davRequest, xmlBody } from './dav-client.ts';

const XXE = '<?xml version="1.0"?><!DOCTYPE d:propertyupdate [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>&xxe;</d:displayname></d:prop></d:set></d:propertyupdate>';
const LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']><d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>&lol9;</d:displayname></d:prop></d:set></d:propertyupdate>';

describe('DAV bad input', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());
  const sequence = async (): Promise<number> => (await server.store.identity()).sequence;

  for (const [name, body] of [
    ['an external entity (XXE)', XXE],
    ['an entity-expansion bomb', LAUGHS],
    ['malformed XML', '<d:propertyupdate xmlns:d="DAV:"><d:set>'],
    ['text that is not XML', 'hello'],
  ] as const) {
    test(`a PROPPATCH with ${name} answers 400 with a readable message and changes nothing`, async () => {
      const before = await sequence();
      const response = await davRequest(server, 'PROPPATCH', '/dav/alice/contacts/', { body, headers: { 'content-type': 'application/xml' } });
      assert.equal(response.status, 400);
      const error = await xmlBody(response);
      assert.equal(error.name, 'error');
      assert.match(error.children.find((c) => c.name === 'message')?.text ?? '', /XML|DOCTYPE/);
      assert.equal(await sequence(), before);
    });
  }

  test('a PROPFIND with malformed XML answers 400 (litmus propfind_invalid)', async () => {
    assert.equal((await davRequest(server, 'PROPFIND', '/dav/alice/', { body: '<foo>', headers: { depth: '0' } })).status, 400);
  });

  test('an extended MKCOL with an entity bomb creates nothing', async () => {
    const before = await sequence();
    const response = await davRequest(server, 'MKCOL', '/dav/alice/bomb/', { body: LAUGHS, headers: { 'content-type': 'application/xml' } });
    assert.equal(response.status, 400);
    assert.equal(await sequence(), before);
    assert.equal((await davRequest(server, 'PROPFIND', '/dav/alice/bomb/', { headers: { depth: '0' } })).status, 404);
  });

  test('an XML body larger than the limit answers 413', async () => {
    const small = await startHarness({ config: { maxBodyBytes: 2048 } });
    try {
      const body = `<d:propfind xmlns:d="DAV:"><d:prop>${'<d:displayname/>'.repeat(500)}</d:prop></d:propfind>`;
      assert.equal((await davRequest(small, 'PROPFIND', '/dav/alice/', { body, headers: { depth: '0' } })).status, 413);
    } finally {
      await small.close();
    }
  });

  test('bad Depth and Overwrite headers, and a fragment in the URL, answer 400', async () => {
    assert.equal((await davRequest(server, 'PROPFIND', '/dav/alice/', { headers: { depth: 'two' } })).status, 400);
    // Every user has a files folder.
    assert.equal((await davRequest(server, 'PUT', '/dav/alice/files/o.txt', { body: 'x' })).status, 201);
    assert.equal((await davRequest(server, 'COPY', '/dav/alice/files/o.txt', { headers: { destination: '/dav/alice/files/p.txt', overwrite: 'maybe' } })).status, 400);
  });
});
