// The accounts service on a real store (SQLite in a temporary data directory), with an
// injected clock for token expiry and rate-limit backoff.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Accounts, AuthResult } from '../../src/accounts/accounts.ts';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import type { RateLimitOptions } from '../../src/accounts/rate-limiter.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { AccountRepository, Store } from '../../src/store/store.ts';

const ALICE_PASSWORD = 'alice-has-a-long-password';
const BOB_PASSWORD = 'bob-has-another-long-one';
const CLIENT = '192.0.2.10';

const scratchDirs: string[] = [];
const openStores: Store[] = [];
after(async () => {
  for (const store of openStores) await store.close();
  for (const dir of scratchDirs) await rm(dir, { recursive: true, force: true });
});

interface Setup {
  accounts: Accounts;
  advance: (seconds: number) => void;
  now: () => Date;
}

/** A fresh store with the accounts service over it; `wrap` may put a spy around the
 * store's repository (never a replacement for it). */
async function setup(
  options: { rateLimit?: Partial<RateLimitOptions>; wrap?: (real: AccountRepository) => AccountRepository } = {},
): Promise<Setup> {
  const dataDir = await mkdtemp(join(tmpdir(), 'holdfast-accounts-'));
  scratchDirs.push(dataDir);
  const opened = await openStore({ dataDir });
  assert.equal(opened.kind, 'opened', opened.kind === 'refused' ? opened.reason : '');
  if (opened.kind !== 'opened') throw new Error('unreachable');
  const store = opened.store;
  openStores.push(store);
  let ms = Date.parse('2024-05-01T12:00:00Z');
  const now = () => new Date(ms);
  const repository = options.wrap ? options.wrap(store.accounts) : store.accounts;
  const accounts = createAccounts(repository, { now, ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}) });
  return {
    accounts,
    now,
    advance: (seconds) => {
      ms += seconds * 1000;
    },
  };
}

async function addUser(accounts: Accounts, name: string, password: string) {
  const result = await accounts.addUser(name, password);
  assert.equal(result.kind, 'created');
  if (result.kind !== 'created') throw new Error('unreachable');
  return result.user;
}

async function newAppPassword(accounts: Accounts, userName: string, label = 'phone') {
  const result = await accounts.createAppPassword(userName, label);
  assert.equal(result.kind, 'created');
  if (result.kind !== 'created') throw new Error('unreachable');
  return result;
}

async function newToken(accounts: Accounts, userName: string, ttlSeconds?: number) {
  const result = await accounts.createToken(userName, 'script', ttlSeconds === undefined ? undefined : { ttlSeconds });
  assert.equal(result.kind, 'created');
  if (result.kind !== 'created') throw new Error('unreachable');
  return result;
}

function assertOk(result: AuthResult, userName: string, via: 'password' | 'app-password' | 'token'): void {
  assert.equal(result.kind, 'ok', `expected sign-in as ${userName} via ${via}, got ${JSON.stringify(result)}`);
  if (result.kind !== 'ok') return;
  assert.equal(result.user.name, userName);
  assert.equal(result.via, via);
}

/** A spy around the real repository that counts calls by method name. */
function counting(calls: Map<string, number>) {
  return (real: AccountRepository): AccountRepository =>
    new Proxy(real, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || typeof property !== 'string') return value;
        return (...args: unknown[]): unknown => {
          calls.set(property, (calls.get(property) ?? 0) + 1);
          return Reflect.apply(value, target, args);
        };
      },
    });
}

void describe('users', () => {
  void test('a new user signs in with their password, and a wrong password is invalid', async () => {
    const { accounts } = await setup();
    const alice = await addUser(accounts, 'alice', ALICE_PASSWORD);
    assert.equal(alice.name, 'alice');
    assert.equal(alice.deletedAt, null);

    const ok = await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT);
    assertOk(ok, 'alice', 'password');
    assert.equal(ok.kind === 'ok' && ok.credentialId, null);
    assert.deepEqual(await accounts.authenticateBasic('alice', 'not-alice-password', CLIENT), { kind: 'invalid' });
    assert.deepEqual(await accounts.authenticateBasic('alice', '', CLIENT), { kind: 'invalid' });
  });

  void test('an unknown user name is invalid, like a wrong password', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    assert.deepEqual(await accounts.authenticateBasic('mallory', ALICE_PASSWORD, CLIENT), { kind: 'invalid' });
  });

  void test('a capitalised user name signs in as the lowercase user, as phones capitalise login fields', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    assertOk(await accounts.authenticateBasic('Alice', ALICE_PASSWORD, CLIENT), 'alice', 'password');
    assert.deepEqual(await accounts.authenticateBasic('ALICE', 'a wrong password', CLIENT), { kind: 'invalid' });
  });

  void test('an unknown user name still costs a password verification, so timing does not reveal names', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const time = async (name: string) => {
      const start = performance.now();
      for (let i = 0; i < 3; i++) await accounts.authenticateBasic(name, 'a wrong password guess', `10.0.0.${i}`);
      return performance.now() - start;
    };
    await time('warm-up');
    const known = await time('alice');
    const unknown = await time('nobody');
    assert.ok(unknown > known / 3, `known ${known.toFixed(0)} ms, unknown ${unknown.toFixed(0)} ms`);
  });

  void test('a weak password is refused with a message saying the rule', async () => {
    const { accounts } = await setup();
    const short = await accounts.addUser('alice', 'short');
    assert.equal(short.kind, 'weak-password');
    assert.match(short.kind === 'weak-password' ? short.message : '', /at least 10/);
    const sameAsName = await accounts.addUser('alice.liddell', 'alice.liddell');
    assert.equal(sameAsName.kind, 'weak-password');
    assert.match(sameAsName.kind === 'weak-password' ? sameAsName.message : '', /same as the user name/);
    assert.deepEqual(await accounts.listUsers({ includeDeleted: true }), []);
  });

  void test('a name that could not appear in a URL is refused with a message saying what is allowed', async () => {
    const { accounts } = await setup();
    for (const name of ['', 'Alice', '.alice', '-alice', 'al ice', 'al/ice', 'ålice', 'a'.repeat(65)]) {
      const result = await accounts.addUser(name, ALICE_PASSWORD);
      assert.equal(result.kind, 'invalid-name', `${JSON.stringify(name)} should be refused`);
      assert.match(result.kind === 'invalid-name' ? result.message : '', /1 to 64 characters of lowercase letters, digits/);
    }
    for (const name of ['a', '7', 'alice.liddell', 'bob_2', 'c-3po', 'a'.repeat(64)]) {
      assert.equal((await accounts.addUser(name, ALICE_PASSWORD)).kind, 'created', `${name} should be accepted`);
    }
  });

  void test('a name that is part of the server\'s URLs ("principals") is refused as reserved', async () => {
    const { accounts } = await setup();
    const result = await accounts.addUser('principals', ALICE_PASSWORD);
    assert.equal(result.kind, 'invalid-name');
    assert.match(result.kind === 'invalid-name' ? result.message : '', /"principals" is reserved/);
    assert.deepEqual(await accounts.listUsers({ includeDeleted: true }), []);
  });

  void test('a name already in use, even by a deleted user, is taken', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    assert.deepEqual(await accounts.addUser('alice', BOB_PASSWORD), { kind: 'name-taken' });
    await accounts.deleteUser('alice');
    assert.deepEqual(await accounts.addUser('alice', BOB_PASSWORD), { kind: 'name-taken' });
  });

  void test('setting a password replaces the old one, and a weak one is refused', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    assert.equal((await accounts.setPassword('alice', 'short')).kind, 'weak-password');
    assertOk(await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT), 'alice', 'password');

    const changed = await accounts.setPassword('alice', 'a brand new long password');
    assert.equal(changed.kind, 'done');
    assert.equal((await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT)).kind, 'invalid');
    assertOk(await accounts.authenticateBasic('alice', 'a brand new long password', CLIENT), 'alice', 'password');
    assert.deepEqual(await accounts.setPassword('nobody', 'a brand new long password'), { kind: 'no-user' });
  });

  void test('a deleted user cannot sign in by any means, and restoring brings them back', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const appPassword = await newAppPassword(accounts, 'alice');
    const token = await newToken(accounts, 'alice');

    const deleted = await accounts.deleteUser('alice');
    assert.equal(deleted.kind, 'done');
    assert.notEqual(deleted.kind === 'done' && deleted.user.deletedAt, null);
    assert.deepEqual(await accounts.listUsers(), []);
    assert.equal((await accounts.listUsers({ includeDeleted: true })).length, 1);
    assert.deepEqual(await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT), { kind: 'invalid' });
    assert.deepEqual(await accounts.authenticateBasic('alice', appPassword.secret, CLIENT), { kind: 'invalid' });
    assert.deepEqual(await accounts.authenticateBearer(token.secret, CLIENT), { kind: 'invalid' });
    assert.deepEqual(await accounts.createAppPassword('alice', 'tablet'), { kind: 'no-user' });
    assert.deepEqual(await accounts.deleteUser('alice'), { kind: 'no-user' });

    const restored = await accounts.restoreUser('alice');
    assert.equal(restored.kind, 'done');
    assert.equal(restored.kind === 'done' && restored.user.deletedAt, null);
    assertOk(await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT), 'alice', 'password');
    assertOk(await accounts.authenticateBasic('alice', appPassword.secret, CLIENT), 'alice', 'app-password');
    assertOk(await accounts.authenticateBearer(token.secret, CLIENT), 'alice', 'token');
  });

  void test('restoring a live user changes nothing; restoring an unknown one is no-user', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const result = await accounts.restoreUser('alice');
    assert.equal(result.kind, 'done');
    assert.equal(result.kind === 'done' && result.user.deletedAt, null);
    assert.deepEqual(await accounts.restoreUser('nobody'), { kind: 'no-user' });
  });
});

void describe('app passwords', () => {
  void test('an app password signs in, and is shown only once: the list holds no secret', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const created = await newAppPassword(accounts, 'alice', '  Alice’s phone  ');
    assert.match(created.secret, /^[a-z2-9]{5}(-[a-z2-9]{5}){4}$/);
    assert.equal(created.credential.label, 'Alice’s phone');
    assert.equal(created.credential.kind, 'app-password');
    assert.ok(!JSON.stringify(created.credential).includes(created.secret));

    const ok = await accounts.authenticateBasic('alice', created.secret, CLIENT);
    assertOk(ok, 'alice', 'app-password');
    assert.equal(ok.kind === 'ok' && ok.credentialId, created.credential.id);

    const listed = await accounts.listAppPasswords('alice');
    assert.ok(listed);
    assert.deepEqual(
      listed.map((c) => c.id),
      [created.credential.id],
    );
    const text = JSON.stringify(listed);
    assert.ok(!text.includes(created.secret) && !text.includes(created.secret.replaceAll('-', '')));
    assert.ok(!Object.keys(listed[0] ?? {}).some((key) => /secret|hash/i.test(key)));
  });

  void test('an app password typed with capitals or without dashes still signs in', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret } = await newAppPassword(accounts, 'alice');
    assertOk(await accounts.authenticateBasic('alice', secret.toUpperCase(), CLIENT), 'alice', 'app-password');
    assertOk(await accounts.authenticateBasic('alice', secret.replaceAll('-', ''), CLIENT), 'alice', 'app-password');
  });

  void test('a revoked app password no longer signs in, and the list shows when it was revoked', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret, credential } = await newAppPassword(accounts, 'alice');
    const other = await newAppPassword(accounts, 'alice', 'laptop');
    assert.deepEqual(await accounts.revokeAppPassword('alice', credential.id), { kind: 'revoked' });
    assert.deepEqual(await accounts.authenticateBasic('alice', secret, CLIENT), { kind: 'invalid' });
    assertOk(await accounts.authenticateBasic('alice', other.secret, CLIENT), 'alice', 'app-password');
    const listed = await accounts.listAppPasswords('alice');
    assert.notEqual(listed?.find((c) => c.id === credential.id)?.revokedAt ?? null, null);
    assert.deepEqual(await accounts.revokeAppPassword('alice', credential.id), { kind: 'revoked' }, 'revoking twice is fine');
  });

  void test('revoking names the user: another user’s, an unknown, or a token id is not found', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    await addUser(accounts, 'bob', BOB_PASSWORD);
    const bobs = await newAppPassword(accounts, 'bob');
    const token = await newToken(accounts, 'alice');
    assert.deepEqual(await accounts.revokeAppPassword('alice', bobs.credential.id), { kind: 'not-found' });
    assert.deepEqual(await accounts.revokeAppPassword('alice', 'no-such-id'), { kind: 'not-found' });
    assert.deepEqual(await accounts.revokeAppPassword('alice', token.credential.id), { kind: 'not-found' });
    assert.deepEqual(await accounts.revokeAppPassword('nobody', bobs.credential.id), { kind: 'no-user' });
    assertOk(await accounts.authenticateBasic('bob', bobs.secret, CLIENT), 'bob', 'app-password');
    assertOk(await accounts.authenticateBearer(token.secret, CLIENT), 'alice', 'token');
  });

  void test('another user’s app password does not sign in as this user', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    await addUser(accounts, 'bob', BOB_PASSWORD);
    const bobs = await newAppPassword(accounts, 'bob');
    assert.deepEqual(await accounts.authenticateBasic('alice', bobs.secret, CLIENT), { kind: 'invalid' });
    assertOk(await accounts.authenticateBasic('bob', bobs.secret, CLIENT), 'bob', 'app-password');
  });

  void test('a use is recorded as lastUsedAt', async () => {
    const { accounts, now } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret, credential } = await newAppPassword(accounts, 'alice');
    assert.equal(credential.lastUsedAt, null);
    await accounts.authenticateBasic('alice', secret, CLIENT);
    // The record is fire-and-forget; give it a moment.
    for (let i = 0; i < 50; i++) {
      const listed = await accounts.listAppPasswords('alice');
      if (listed?.[0]?.lastUsedAt) {
        assert.equal(listed[0].lastUsedAt, now().toISOString());
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.fail('lastUsedAt was never set');
  });

  void test('uses are recorded at most once a minute, so reads do not each cost a write', async () => {
    const { accounts, advance, now } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret } = await newAppPassword(accounts, 'alice');
    const lastUsed = async () => (await accounts.listAppPasswords('alice'))?.[0]?.lastUsedAt ?? null;
    const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
    await accounts.authenticateBasic('alice', secret, CLIENT);
    await settle();
    const first = now().toISOString();
    assert.equal(await lastUsed(), first);
    advance(30);
    await accounts.authenticateBasic('alice', secret, CLIENT);
    await settle();
    assert.equal(await lastUsed(), first, 'a use 30 s later is not written');
    advance(31);
    await accounts.authenticateBasic('alice', secret, CLIENT);
    await settle();
    assert.equal(await lastUsed(), now().toISOString(), 'a use over a minute later is');
  });

  void test('a failure to record the use does not fail the sign-in', async () => {
    const { accounts } = await setup({
      wrap: (real) =>
        new Proxy(real, {
          get(target, property, receiver) {
            if (property === 'touchCredential') return () => Promise.reject(new Error('disk full'));
            return Reflect.get(target, property, receiver) as unknown;
          },
        }),
    });
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret } = await newAppPassword(accounts, 'alice');
    assertOk(await accounts.authenticateBasic('alice', secret, CLIENT), 'alice', 'app-password');
  });

  void test('labels are trimmed, cut to 100 characters, and default when empty', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    assert.equal((await newAppPassword(accounts, 'alice', '   ')).credential.label, 'app password');
    assert.equal((await newAppPassword(accounts, 'alice', '📱'.repeat(150))).credential.label, '📱'.repeat(100));
    const token = await accounts.createToken('alice', '');
    assert.equal(token.kind === 'created' && token.credential.label, 'token');
  });

  void test('an unknown user has no app passwords to list or make', async () => {
    const { accounts } = await setup();
    assert.equal(await accounts.listAppPasswords('nobody'), null);
    assert.deepEqual(await accounts.createAppPassword('nobody', 'phone'), { kind: 'no-user' });
  });
});

void describe('tokens', () => {
  void test('a token signs in as its user and is shown only once', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const created = await newToken(accounts, 'alice');
    assert.match(created.secret, /^hf_[A-Za-z0-9_-]{43}$/);
    assert.equal(created.credential.expiresAt, null);
    const ok = await accounts.authenticateBearer(created.secret, CLIENT);
    assertOk(ok, 'alice', 'token');
    assert.equal(ok.kind === 'ok' && ok.credentialId, created.credential.id);
    assert.ok(!JSON.stringify(await accounts.listTokens('alice')).includes(created.secret));
    assert.deepEqual(await accounts.listAppPasswords('alice'), [], 'tokens are not app passwords');
  });

  void test('a token is not a password: Basic auth with it is invalid', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret } = await newToken(accounts, 'alice');
    assert.deepEqual(await accounts.authenticateBasic('alice', secret, CLIENT), { kind: 'invalid' });
  });

  void test('a token expires after its time to live', async () => {
    const { accounts, advance, now } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret, credential } = await newToken(accounts, 'alice', 3600);
    assert.equal(credential.expiresAt, new Date(now().getTime() + 3600_000).toISOString());
    advance(3599);
    assertOk(await accounts.authenticateBearer(secret, CLIENT), 'alice', 'token');
    advance(1);
    assert.deepEqual(await accounts.authenticateBearer(secret, CLIENT), { kind: 'invalid' });
  });

  void test('a time to live that is not a positive number is a bug, and says so', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    assert.throws(() => accounts.createToken('alice', 'x', { ttlSeconds: 0 }), /positive number of seconds/);
    assert.throws(() => accounts.createToken('alice', 'x', { ttlSeconds: Number.NaN }), /positive number of seconds/);
  });

  void test('a revoked token, a made-up token and an app password are all invalid bearer tokens', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret, credential } = await newToken(accounts, 'alice');
    const appPassword = await newAppPassword(accounts, 'alice');
    assert.deepEqual(await accounts.revokeToken('alice', credential.id), { kind: 'revoked' });
    assert.deepEqual(await accounts.authenticateBearer(secret, CLIENT), { kind: 'invalid' });
    assert.deepEqual(await accounts.authenticateBearer(`hf_${'A'.repeat(43)}`, CLIENT), { kind: 'invalid' });
    assert.deepEqual(await accounts.authenticateBearer(appPassword.secret, CLIENT), { kind: 'invalid' });
    assert.deepEqual(await accounts.revokeToken('alice', appPassword.credential.id), { kind: 'not-found' });
  });
});

void describe('rate limiting', () => {
  void test('after 5 failures even the right password is refused, until the backoff ends', async () => {
    const { accounts, advance } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await accounts.authenticateBasic('alice', `wrong guess ${i}`, CLIENT), { kind: 'invalid' });
    }
    assert.deepEqual(await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT), {
      kind: 'rate-limited',
      retryAfterSeconds: 60,
    });
    assertOk(await accounts.authenticateBasic('alice', ALICE_PASSWORD, '198.51.100.7'), 'alice', 'password');
    advance(30);
    assert.deepEqual(await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT), {
      kind: 'rate-limited',
      retryAfterSeconds: 30,
    });
    advance(30);
    assertOk(await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT), 'alice', 'password');
    // The success reset the count: four more failures are not refused.
    for (let i = 0; i < 4; i++) await accounts.authenticateBasic('alice', `wrong again ${i}`, CLIENT);
    assertOk(await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT), 'alice', 'password');
  });

  void test('while limited the secret is not even checked', async () => {
    const calls = new Map<string, number>();
    const { accounts } = await setup({ wrap: counting(calls) });
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret } = await newAppPassword(accounts, 'alice');
    for (let i = 0; i < 5; i++) await accounts.authenticateBasic('alice', `wrong guess ${i}`, CLIENT);
    calls.clear();
    const started = performance.now();
    assert.equal((await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT)).kind, 'rate-limited');
    assert.equal((await accounts.authenticateBasic('alice', secret, CLIENT)).kind, 'rate-limited');
    assert.deepEqual([...calls.keys()], [], 'the repository was not consulted');
    assert.ok(performance.now() - started < 50, 'no password hash was verified');
  });

  void test('a burst of parallel guesses is limited as if they came one by one', async () => {
    const { accounts } = await setup();
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => accounts.authenticateBasic('alice', `guess ${i}`, CLIENT)),
    );
    assert.equal(results.filter((r) => r.kind === 'invalid').length, 5);
    assert.equal(results.filter((r) => r.kind === 'rate-limited').length, 7);
  });

  void test('many names tried from one client are limited for that client', async () => {
    const { accounts } = await setup({ rateLimit: { maxFailuresPerClient: 6 } });
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    for (let i = 0; i < 6; i++) await accounts.authenticateBasic(`user${i}`, 'Summer2024!', CLIENT);
    assert.equal((await accounts.authenticateBasic('alice', ALICE_PASSWORD, CLIENT)).kind, 'rate-limited');
    assert.equal((await accounts.authenticateBearer('hf_whatever', CLIENT)).kind, 'rate-limited');
    assertOk(await accounts.authenticateBasic('alice', ALICE_PASSWORD, '198.51.100.7'), 'alice', 'password');
  });

  void test('failed bearer tokens count against the client', async () => {
    const { accounts } = await setup({ rateLimit: { maxFailuresPerClient: 3 } });
    await addUser(accounts, 'alice', ALICE_PASSWORD);
    const { secret } = await newToken(accounts, 'alice');
    for (let i = 0; i < 3; i++) assert.equal((await accounts.authenticateBearer(`hf_guess${i}`, CLIENT)).kind, 'invalid');
    assert.equal((await accounts.authenticateBearer(secret, CLIENT)).kind, 'rate-limited');
  });
});
