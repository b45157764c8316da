// docs/uploads.md is checked against the code it describes, so it cannot quietly go stale.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { MAX_HASHES_PER_REQUEST } from '../../src/protocols/rest/blob-routes.ts';
import { TUS_ERROR_STATUS } from '../../src/uploads/tus-errors.ts';
import { CHECKSUM_ALGORITHMS } from '../../src/uploads/tus-headers.ts';
import { MAX_UNFINISHED_UPLOADS, TUS_EXTENSIONS } from '../../src/uploads/tus-routes.ts';

const doc = await readFile(new URL('../../docs/uploads.md', import.meta.url), 'utf8');

test('docs/uploads.md lists every upload error code with its status', () => {
  for (const [code, status] of Object.entries(TUS_ERROR_STATUS)) {
    assert.ok(doc.includes(`| \`${code}\` | ${status} |`), `error code ${code} (${status})`);
  }
});

test('docs/uploads.md states the extensions, checksum algorithms and limits the server announces and enforces', () => {
  assert.ok(doc.includes(`\`${TUS_EXTENSIONS.join(',')}\``));
  assert.ok(doc.includes(`\`${Object.keys(CHECKSUM_ALGORITHMS).join(',')}\``));
  assert.ok(doc.includes(`**${MAX_UNFINISHED_UPLOADS} unfinished uploads**`));
  assert.ok(doc.includes(`up to ${MAX_HASHES_PER_REQUEST.toLocaleString('en')} hashes`));
  for (const setting of ['maxUploadBytes', 'uploadExpiryHours']) assert.ok(doc.includes(`\`${setting}\``), setting);
});
