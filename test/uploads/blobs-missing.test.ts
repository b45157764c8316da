// POST /api/v1/blobs/missing: which contents a user's device still has to upload. Asked
// over real HTTP; answers are per user, so one account learns nothing about another's files.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MAX_HASHES_PER_REQUEST } from '../../src/protocols/rest/blob-routes.ts';
import { json, sendJson, startHarness, type Harness } from '../server/harness.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('POST /api/v1/blobs/missing', () => {
  let h: Harness;
  const photo = randomBytes(200 * 1024);
  const note = Buffer.from('a small note, kept inline');
  const unknown = sha256(Buffer.from('nobody uploaded this'));

  before(async () => {
    h = await startHarness();
    for (const [name, body] of [['photo.jpg', photo], ['note.txt', note]] as const) {
      const put = await fetch(`${h.url}/api/v1/collections/files/items/${name}`, { method: 'PUT', headers: { authorization: h.bearer.alice }, body });
      assert.equal(put.status, 201);
    }
  });
  after(async () => {
    await h.close();
  });

  const ask = (authorization: string, body: unknown) => sendJson(`${h.url}/api/v1/blobs/missing`, 'POST', authorization, body);

  test('answers the hashes the user does not hold, in the order asked, each once', async () => {
    const response = await ask(h.bearer.alice, { sha256: [unknown, sha256(photo), sha256(note), unknown] });
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), { missing: [unknown] });
  });

  test("another user's content counts as missing: the answer says nothing about other accounts", async () => {
    const response = await ask(h.appPassword.bob, { sha256: [sha256(photo), sha256(note), unknown] });
    assert.deepEqual(await json(response), { missing: [sha256(photo), sha256(note), unknown] });
  });

  test('content in the trash still counts as held', async () => {
    const deleted = await fetch(`${h.url}/api/v1/collections/files/items/photo.jpg`, { method: 'DELETE', headers: { authorization: h.bearer.alice } });
    assert.equal(deleted.status, 204);
    assert.deepEqual(await json(await ask(h.bearer.alice, { sha256: [sha256(photo)] })), { missing: [] });
  });

  test(`refuses malformed lists with 400 and more than ${MAX_HASHES_PER_REQUEST} hashes with 413`, async () => {
    const cases: Array<[unknown, number, RegExp]> = [
      [{}, 400, /"sha256": \[/],
      [[unknown], 400, /"sha256": \[/],
      [{ sha256: unknown }, 400, /"sha256": \[/],
      [{ sha256: [unknown.toUpperCase()] }, 400, /sha256\[0\] is not a SHA-256/],
      [{ sha256: [unknown, unknown.slice(1)] }, 400, /sha256\[1\]/],
      [{ sha256: [42] }, 400, /sha256\[0\]/],
      [{ sha256: Array.from({ length: MAX_HASHES_PER_REQUEST + 1 }, () => unknown) }, 413, /at most 10000 hashes/],
    ];
    for (const [body, status, message] of cases) {
      const response = await ask(h.bearer.alice, body);
      const answer = await json(response);
      assert.equal(response.status, status, String(answer.message));
      assert.match(String(answer.message), message);
    }
    const full = await ask(h.bearer.alice, { sha256: Array.from({ length: MAX_HASHES_PER_REQUEST }, (_, i) => sha256(Buffer.from(String(i)))) });
    assert.equal(full.status, 200);
    assert.equal(((await json(full)).missing as string[]).length, MAX_HASHES_PER_REQUEST);
  });

  test('needs sign-in', async () => {
    const response = await fetch(`${h.url}/api/v1/blobs/missing`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"sha256":[]}' });
    assert.equal(response.status, 401);
  });
});
