import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nameProblem } from '../../src/protocols/rest/names.ts';

test('collection and item names: 1 to 255 characters, no "/", no control characters, not "." or ".."', () => {
  for (const good of ['a', 'ada.vcf', 'Zoë’s birthday.ics', '...', 'x'.repeat(255), '😀 party']) {
    assert.equal(nameProblem(good), null, good);
  }
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['.', /reserved/],
    ['..', /reserved/],
    ['a/b', /"\/"/],
    ['nul\u0000', /U\+0000/],
    ['del\u007f', /U\+007F/],
    ['c1\u0085', /U\+0085/],
    ['x'.repeat(256), /longer than 255/],
    ['half \uD800 pair', /Unicode/],
  ];
  for (const [name, reason] of bad) assert.match(nameProblem(name) ?? '', reason, JSON.stringify(name));
});
