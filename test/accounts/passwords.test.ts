import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkPasswordStrength,
  hashPassword,
  verifyAgainstDummyHash,
  verifyPassword,
} from '../../src/accounts/passwords.ts';

void describe('password hashing', () => {
  void test('a hash is argon2id, salted, and verifies only the password it was made from', async () => {
    const password = 'correct horse battery staple';
    const [first, second] = await Promise.all([hashPassword(password), hashPassword(password)]);
    assert.match(first, /^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
    assert.notEqual(first, second, 'each hash has its own salt');
    assert.ok(!first.includes(password));
    assert.equal(await verifyPassword(first, password), true);
    assert.equal(await verifyPassword(second, password), true);
    assert.equal(await verifyPassword(first, 'correct horse battery stapl'), false);
    assert.equal(await verifyPassword(first, ''), false);
  });

  void test('non-ASCII passwords verify exactly', async () => {
    const hash = await hashPassword('pässwörd-ünïcödé-🔑');
    assert.equal(await verifyPassword(hash, 'pässwörd-ünïcödé-🔑'), true);
    assert.equal(await verifyPassword(hash, 'passwörd-ünïcödé-🔑'), false);
  });

  void test('a stored hash that is not argon2 is an error that says what to do, without the password', async () => {
    await assert.rejects(verifyPassword('not-a-hash', 'secret-password-123'), (error: Error) => {
      assert.match(error.message, /not a valid argon2 hash; set a new password/);
      assert.ok(!error.message.includes('secret-password-123'));
      return true;
    });
  });

  void test('the dummy verification takes about as long as a real one', async () => {
    const hash = await hashPassword('some password here');
    await verifyAgainstDummyHash('warm up'); // the dummy hash is made on first use
    const time = async (run: () => Promise<unknown>) => {
      const start = performance.now();
      for (let i = 0; i < 3; i++) await run();
      return performance.now() - start;
    };
    const real = await time(() => verifyPassword(hash, 'a wrong guess'));
    const dummy = await time(() => verifyAgainstDummyHash('a wrong guess'));
    assert.ok(dummy > real / 3 && dummy < real * 3, `real ${real.toFixed(0)} ms, dummy ${dummy.toFixed(0)} ms`);
  });
});

void describe('password strength', () => {
  void test('ten characters or more are accepted', () => {
    assert.equal(checkPasswordStrength('abcdefghij', 'alice'), null);
    assert.equal(checkPasswordStrength('four random words here', 'alice'), null);
  });

  void test('a short password is refused with the rule and how long it was', () => {
    const message = checkPasswordStrength('abc123', 'alice');
    assert.ok(message);
    assert.match(message, /6 characters; use at least 10/);
  });

  void test('length counts characters, not UTF-16 code units', () => {
    assert.match(checkPasswordStrength('🔑🔑🔑🔑🔑🔑', 'alice') ?? '', /6 characters/);
  });

  void test('the user name as password is refused, whatever its case', () => {
    assert.match(checkPasswordStrength('alice.smith', 'alice.smith') ?? '', /same as the user name/);
    assert.match(checkPasswordStrength('Alice.Smith', 'alice.smith') ?? '', /same as the user name/);
  });
});
