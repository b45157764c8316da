import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseAuthorization } from '../../src/server/authenticate.ts';
import { PASSWORDS, basic, json, sendJson, startHarness, type Harness } from './harness.ts';

const CHALLENGE = 'Basic realm="Holdfast", charset="UTF-8"';

describe('authentication', () => {
  let server: Harness;
  before(async () => {
    server = await startHarness();
  });
  after(() => server.close());

  const whoami = (authorization?: string): Promise<Response> =>
    fetch(`${server.url}/api/v1/whoami`, authorization === undefined ? {} : { headers: { authorization } });

  test('no credentials answers 401 with a Basic challenge and says how to sign in', async () => {
    const response = await whoami();
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), CHALLENGE);
    const body = await json(response);
    assert.equal(body.error, 'unauthenticated');
    assert.match(String(body.message), /Basic/);
  });

  test('a wrong password answers 401 with the challenge', async () => {
    const response = await whoami(basic('alice', 'not the password at all'));
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), CHALLENGE);
  });

  test('an unknown user answers the same 401 as a wrong password', async () => {
    const response = await whoami(basic('mallory', 'not the password at all'));
    assert.equal(response.status, 401);
    assert.equal((await json(response)).error, 'unauthenticated');
  });

  test('a malformed Authorization header answers 401, not 500', async () => {
    for (const header of ['Basic !!!', 'Basic ' + Buffer.from('no-colon').toString('base64'), 'Digest abc', 'garbage']) {
      const response = await whoami(header);
      assert.equal(response.status, 401, header);
    }
  });

  test('the account password signs in with Basic', async () => {
    const response = await whoami(basic('alice', PASSWORDS.alice));
    assert.equal(response.status, 200);
    assert.deepEqual((await json(response)).signedInWith, 'password');
  });

  test('an app password signs in with Basic', async () => {
    const response = await whoami(server.appPassword.bob);
    assert.equal(response.status, 200);
    const body = await json(response);
    assert.equal((body.user as { name: string }).name, 'bob');
    assert.equal(body.signedInWith, 'app-password');
  });

  test('a token signs in with Bearer; a wrong token answers 401', async () => {
    const response = await whoami(server.bearer.alice);
    assert.equal(response.status, 200);
    assert.equal((await json(response)).signedInWith, 'token');
    assert.equal((await whoami('Bearer hf_not_a_real_token')).status, 401);
  });

  test('POST /api/v1/tokens returns a new token once, and it works', async () => {
    const response = await sendJson(`${server.url}/api/v1/tokens`, 'POST', server.appPassword.alice, { label: 'backup script', ttlSeconds: 3600 });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = await json(response);
    assert.equal(body.label, 'backup script');
    assert.equal(typeof body.expiresAt, 'string');
    assert.equal((await whoami(`Bearer ${String(body.token)}`)).status, 200);
  });

  test('a token cannot create tokens (a leaked one could otherwise outlive its expiry)', async () => {
    const response = await sendJson(`${server.url}/api/v1/tokens`, 'POST', server.bearer.alice, { label: 'another' });
    assert.equal(response.status, 403);
    assert.equal((await json(response)).error, 'forbidden');
  });

  test('POST /api/v1/tokens validates its body', async () => {
    const response = await sendJson(`${server.url}/api/v1/tokens`, 'POST', server.appPassword.alice, { label: '', ttl: 5 });
    assert.equal(response.status, 400);
    const message = String((await json(response)).message);
    assert.match(message, /unknown field "ttl"/);
    assert.match(message, /label/);
  });

  test('repeated wrong passwords are rate limited with 429 and Retry-After, even for the right password', async () => {
    const limited = await startHarness();
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await fetch(`${limited.url}/api/v1/whoami`, { headers: { authorization: basic('bob', `wrong guess ${i}`) } })).status);
      }
      assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
      assert.equal(statuses[5], 429);
      const response = await fetch(`${limited.url}/api/v1/whoami`, { headers: { authorization: basic('bob', PASSWORDS.bob) } });
      assert.equal(response.status, 429);
      assert.ok(Number(response.headers.get('retry-after')) > 0);
      assert.equal((await json(response)).error, 'rate-limited');
      const metrics = await (await fetch(`${limited.url}/metrics`)).text();
      assert.match(metrics, /^holdfast_auth_failures_total\{reason="invalid"\} 5$/m);
      assert.match(metrics, /^holdfast_auth_failures_total\{reason="rate-limited"\} 2$/m);
    } finally {
      await limited.close();
    }
  });

  test('no password, app password or token ever reaches the log', async () => {
    await whoami(basic('alice', PASSWORDS.alice));
    await whoami(basic('alice', 'a wrong but secret guess'));
    const log = server.logs.join('');
    assert.ok(log.includes('sign-in refused'), 'failed sign-ins are logged');
    const secrets = [
      PASSWORDS.alice,
      'a wrong but secret guess',
      server.appPassword.alice.slice('Basic '.length),
      server.bearer.alice.slice('Bearer '.length),
      Buffer.from(`alice:${PASSWORDS.alice}`).toString('base64'),
    ];
    for (const secret of secrets) assert.ok(!log.includes(secret), `the log holds a secret: ${secret.slice(0, 4)}…`);
  });
});

describe('parseAuthorization', () => {
  test('a password may contain colons; the user name ends at the first one', () => {
    assert.deepEqual(parseAuthorization(basic('carol', 'pa:ss:word')), { scheme: 'basic', userName: 'carol', secret: 'pa:ss:word' });
  });

  test('user names and passwords are UTF-8', () => {
    assert.deepEqual(parseAuthorization(basic('zoë', 'ünïcødé pässwörd')), { scheme: 'basic', userName: 'zoë', secret: 'ünïcødé pässwörd' });
  });

  test('the scheme is case-insensitive', () => {
    assert.deepEqual(parseAuthorization('bearer abc'), { scheme: 'bearer', token: 'abc' });
  });
});
