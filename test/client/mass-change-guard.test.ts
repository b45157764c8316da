// The guard's arithmetic on its own, with a clock the test moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMassChangeGuard } from '../../client/mass-change-guard.ts';

describe('mass-change guard', () => {
  let clock = 0;
  const guard = () => createMassChangeGuard({ share: 0.3, minItems: 10, windowMs: 60_000, now: () => clock });
  const changes = (...keys: string[]) => new Map(keys.map((key) => [key, key.startsWith('del')]));

  it('counts an item changed by several pulls once', () => {
    const g = guard();
    for (let i = 0; i < 5; i += 1) {
      assert.deepEqual(g.check(changes('edit-1'), 10), { pause: false });
      g.applied(changes('edit-1'));
    }
    assert.deepEqual(g.check(changes('edit-2', 'edit-3'), 10), { pause: false }, '3 of 10 is not more than 30%');
    assert.deepEqual(g.check(changes('edit-2', 'edit-3', 'del-4'), 10), { pause: true, deletes: 1, overwrites: 3 });
  });

  it('forgets changes older than the window', () => {
    const g = guard();
    clock = 0;
    g.applied(changes('del-1', 'del-2', 'del-3'));
    assert.equal(g.check(changes('del-4'), 7).pause, true, 'four deletes of the ten live a moment ago');
    clock = 61_000;
    assert.deepEqual(g.check(changes('del-4'), 7), { pause: false }, 'the window has passed; 1 of 7 is below the minimum anyway');
  });

  it('stays out of the way of a small replica, and a confirmation lets one pull through and clears the count', () => {
    const g = guard();
    clock = 0;
    assert.deepEqual(g.check(changes('del-1', 'del-2', 'del-3'), 5), { pause: false });
    const big = changes('del-1', 'del-2', 'del-3', 'del-4');
    assert.equal(g.check(big, 10).pause, true);
    g.confirm();
    assert.deepEqual(g.check(big, 10), { pause: false });
    g.applied(big);
    assert.deepEqual(g.check(changes('del-5'), 6), { pause: false }, 'the confirmed deletes no longer count');
  });
});
