import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  APP_PASSWORD_ALPHABET,
  appPasswordHash,
  newAppPassword,
  newCredentialId,
  newToken,
  tokenHash,
} from '../../src/accounts/secrets.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

void describe('app passwords', () => {
  void test('are five groups of five unambiguous lowercase characters', () => {
    for (let i = 0; i < 200; i++) {
      const { secret } = newAppPassword();
      assert.match(secret, /^[a-z2-9]{5}(-[a-z2-9]{5}){4}$/);
      assert.doesNotMatch(secret, /[01oli]/);
    }
  });

  void test('the alphabet has no look-alikes and gives about 120 bits', () => {
    assert.doesNotMatch(APP_PASSWORD_ALPHABET, /[01oOlIi]/);
    assert.equal(new Set(APP_PASSWORD_ALPHABET).size, APP_PASSWORD_ALPHABET.length);
    assert.ok(25 * Math.log2(APP_PASSWORD_ALPHABET.length) >= 120);
  });

  void test('every symbol of the alphabet is used, in every position', () => {
    const seen = Array.from({ length: 25 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      [...newAppPassword().secret.replaceAll('-', '')].forEach((symbol, position) => seen[position]?.add(symbol));
    }
    for (const symbols of seen) assert.equal(symbols.size, APP_PASSWORD_ALPHABET.length);
  });

  void test('are different every time', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => newAppPassword().secret));
    assert.equal(secrets.size, 1000);
  });

  void test('are stored as the SHA-256 of the secret, which the lookup hash matches', () => {
    const { secret, hash } = newAppPassword();
    assert.equal(hash, sha256(secret));
    assert.equal(appPasswordHash(secret), hash);
  });

  void test('typed with capitals, spaces or without dashes, they still match', () => {
    const { secret, hash } = newAppPassword();
    assert.equal(appPasswordHash(secret.toUpperCase()), hash);
    assert.equal(appPasswordHash(secret.replaceAll('-', '')), hash);
    assert.equal(appPasswordHash(` ${secret.replaceAll('-', ' ')} `), hash);
  });

  void test('something that cannot be an app password is not looked up', () => {
    assert.equal(appPasswordHash('my ordinary password'), null);
    assert.equal(appPasswordHash('abcde-fghjk-mnpqr-stuvw-xyz2'), null, 'one short');
    assert.equal(appPasswordHash('abcde-fghjk-mnpqr-stuvw-xyz20'), null, 'has a 0');
  });
});

void describe('bearer tokens', () => {
  void test('are hf_ and 32 random bytes in base64url', () => {
    const { secret } = newToken();
    assert.match(secret, /^hf_[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret.slice(3), 'base64url').length, 32);
  });

  void test('are different every time and stored as their SHA-256', () => {
    const tokens = Array.from({ length: 1000 }, () => newToken());
    assert.equal(new Set(tokens.map((t) => t.secret)).size, 1000);
    for (const { secret, hash } of tokens.slice(0, 10)) {
      assert.equal(hash, sha256(secret));
      assert.equal(tokenHash(secret), hash);
    }
  });

  void test('something not shaped like a token is not looked up', () => {
    assert.equal(tokenHash('hf_short'), null);
    assert.equal(tokenHash(newToken().secret.slice(3)), null);
    assert.equal(tokenHash(`${newToken().secret}x`), null);
  });
});

void describe('credential ids', () => {
  void test('are 16 hex characters and different every time', () => {
    const ids = Array.from({ length: 1000 }, () => newCredentialId());
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
    assert.equal(new Set(ids).size, 1000);
  });
});
