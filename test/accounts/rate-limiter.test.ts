import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLoginRateLimiter, DEFAULT_RATE_LIMIT } from '../../src/accounts/rate-limiter.ts';
import type { LoginAttempt, RateLimitOptions } from '../../src/accounts/rate-limiter.ts';

function setup(options: Partial<RateLimitOptions> = {}) {
  let ms = Date.parse('2024-05-01T12:00:00Z');
  const limiter = createLoginRateLimiter(options, () => new Date(ms));
  return {
    limiter,
    advance: (seconds: number): void => {
      ms += seconds * 1000;
    },
    /** One attempt that fails: the caller never reports a success. */
    fail: (name: string | null, client: string): LoginAttempt => limiter.begin(name, client),
  };
}

function retryAfter(attempt: LoginAttempt): number | null {
  return attempt.kind === 'limited' ? attempt.retryAfterSeconds : null;
}

void describe('login rate limiter', () => {
  void test('the defaults are 5 per pair in 15 minutes, 1 minute to 1 hour backoff, 50 per client', () => {
    assert.deepEqual(DEFAULT_RATE_LIMIT, {
      maxFailuresPerName: 5,
      nameWindowSeconds: 900,
      firstBackoffSeconds: 60,
      maxBackoffSeconds: 3600,
      maxFailuresPerClient: 50,
      clientWindowSeconds: 900,
      clientBlockSeconds: 900,
      maxTrackedKeys: 100_000,
    });
  });

  void test('five failures of one name from one client refuse that pair for a minute', () => {
    const { fail, limiter, advance } = setup();
    for (let i = 0; i < 5; i++) assert.equal(fail('alice', '10.0.0.1').kind, 'allowed');
    assert.equal(retryAfter(limiter.begin('alice', '10.0.0.1')), 60);
    advance(59);
    assert.equal(retryAfter(limiter.begin('alice', '10.0.0.1')), 1);
    advance(1);
    assert.equal(limiter.begin('alice', '10.0.0.1').kind, 'allowed');
  });

  void test('the pair limit does not touch other names or other clients', () => {
    const { fail, limiter } = setup();
    for (let i = 0; i < 5; i++) fail('alice', '10.0.0.1');
    assert.equal(limiter.begin('bob', '10.0.0.1').kind, 'allowed');
    assert.equal(limiter.begin('alice', '10.0.0.2').kind, 'allowed');
  });

  void test('failures spread wider than the window do not add up', () => {
    const { fail, limiter, advance } = setup();
    for (let i = 0; i < 20; i++) {
      assert.equal(fail('alice', '10.0.0.1').kind, 'allowed', `attempt ${i}`);
      advance(4 * 60);
    }
    assert.equal(limiter.begin('alice', '10.0.0.1').kind, 'allowed');
  });

  void test('each failure after a refusal doubles the wait, up to an hour', () => {
    const { fail, advance } = setup();
    for (let i = 0; i < 4; i++) fail('alice', 'c');
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      assert.equal(fail('alice', 'c').kind, 'allowed'); // this failure starts the next refusal
      const refused = fail('alice', 'c');
      const wait = retryAfter(refused);
      assert.ok(wait !== null);
      waits.push(wait);
      advance(wait);
    }
    assert.deepEqual(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
  });

  void test('a pair left alone for a window after its refusal ends starts over', () => {
    const { fail, limiter, advance } = setup();
    for (let i = 0; i < 5; i++) fail('alice', 'c');
    advance(60 + 15 * 60);
    for (let i = 0; i < 4; i++) assert.equal(fail('alice', 'c').kind, 'allowed');
    assert.equal(limiter.begin('alice', 'c').kind, 'allowed'); // the fifth, which starts a 1-minute refusal
    assert.equal(retryAfter(limiter.begin('alice', 'c')), 60);
  });

  void test('a success forgets the pair’s failures', () => {
    const { fail, limiter } = setup();
    for (let i = 0; i < 4; i++) fail('alice', 'c');
    const ok = limiter.begin('alice', 'c');
    assert.equal(ok.kind, 'allowed');
    if (ok.kind === 'allowed') ok.succeeded();
    for (let i = 0; i < 4; i++) assert.equal(fail('alice', 'c').kind, 'allowed');
  });

  void test('the right password on the attempt that reached the limit is not refused afterwards', () => {
    const { fail, limiter } = setup();
    for (let i = 0; i < 4; i++) fail('alice', 'c');
    const fifth = limiter.begin('alice', 'c');
    assert.equal(fifth.kind, 'allowed');
    if (fifth.kind === 'allowed') fifth.succeeded();
    assert.equal(limiter.begin('alice', 'c').kind, 'allowed');
  });

  void test('attempts in flight count at once, so a parallel burst cannot pass the limit', () => {
    const { limiter } = setup();
    const burst = Array.from({ length: 20 }, () => limiter.begin('alice', 'c'));
    assert.equal(burst.filter((a) => a.kind === 'allowed').length, 5);
  });

  void test('an abandoned attempt (the store failed) is not counted', () => {
    const { limiter } = setup();
    for (let i = 0; i < 10; i++) {
      const attempt = limiter.begin('alice', 'c');
      assert.equal(attempt.kind, 'allowed');
      if (attempt.kind === 'allowed') attempt.abandoned();
    }
    assert.equal(limiter.begin('alice', 'c').kind, 'allowed');
  });

  void test('fifty failures from one client across many names refuse the client for 15 minutes', () => {
    const { fail, limiter, advance } = setup();
    for (let i = 0; i < 50; i++) assert.equal(fail(`user${i}`, '10.0.0.9').kind, 'allowed');
    assert.equal(retryAfter(limiter.begin('someone-new', '10.0.0.9')), 900);
    assert.equal(retryAfter(limiter.begin(null, '10.0.0.9')), 900, 'bearer attempts are refused too');
    assert.equal(limiter.begin('someone-new', '10.0.0.10').kind, 'allowed', 'other clients are not');
    advance(900);
    assert.equal(limiter.begin('someone-new', '10.0.0.9').kind, 'allowed');
  });

  void test('successes from a client do not forgive its earlier failures', () => {
    const { fail, limiter } = setup();
    for (let i = 0; i < 49; i++) fail(`user${i}`, 'c');
    const own = limiter.begin('mallory', 'c');
    if (own.kind === 'allowed') own.succeeded();
    assert.equal(fail('user99', 'c').kind, 'allowed');
    assert.equal(limiter.begin('user100', 'c').kind, 'limited');
  });

  void test('bearer attempts (no name) count against the client only', () => {
    const { fail, limiter } = setup({ maxFailuresPerClient: 3 });
    for (let i = 0; i < 3; i++) assert.equal(fail(null, 'c').kind, 'allowed');
    assert.equal(limiter.begin(null, 'c').kind, 'limited');
  });

  void test('past maxTrackedKeys, the least recently seen keys are forgotten first (memory stays bounded)', () => {
    const { fail, limiter } = setup({ maxTrackedKeys: 100, maxFailuresPerName: 1, maxFailuresPerClient: 1000 });
    fail('alice', 'c'); // alice is refused
    assert.equal(limiter.begin('alice', 'c').kind, 'limited');
    for (let i = 0; i < 100; i++) fail(`user${i}`, 'c');
    assert.equal(limiter.begin('alice', 'c').kind, 'allowed', 'alice’s entry was evicted');
  });

  void test('very long names and client keys are cut short, not stored whole', () => {
    const { fail, limiter } = setup();
    const long = 'a'.repeat(100_000);
    for (let i = 0; i < 5; i++) fail(long + String(i), long + String(i));
    // All five share one cut-down key, so the pair is refused.
    assert.equal(limiter.begin(long, long).kind, 'limited');
  });
});
