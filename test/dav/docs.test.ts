// docs/dav.md is checked against the code it describes, so it cannot quietly go stale.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { DAV_ERRORS } from '../../src/protocols/dav/dav-errors.ts';
import { DAV_CLASSES } from '../../src/protocols/dav/dav-plugin.ts';

const doc = await readFile(new URL('../../docs/dav.md', import.meta.url), 'utf8');

test('docs/dav.md lists every DAV error code with its status', () => {
  for (const [code, { status }] of Object.entries(DAV_ERRORS)) {
    assert.ok(doc.includes(`| \`${code}\` | ${status} |`), `error code ${code} (${status})`);
  }
});

test('docs/dav.md states the DAV classes OPTIONS announces', () => {
  assert.ok(doc.includes(`\`DAV: ${DAV_CLASSES}\``));
});
