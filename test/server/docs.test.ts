// The docs are checked against the code they describe, so they cannot quietly go stale.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { CONFIG_FILE_OPTION, CONFIG_OPTIONS } from '../../src/server/config.ts';
import { ERROR_STATUS } from '../../src/server/errors.ts';

const docsDir = new URL('../../docs/', import.meta.url);

test('docs/configuration.md documents every setting in CONFIG_OPTIONS with its variable, flag and default', async () => {
  const doc = await readFile(new URL('configuration.md', docsDir), 'utf8');
  for (const option of CONFIG_OPTIONS) {
    const row = doc.split('\n').find((line) => line.startsWith(`| \`${option.key}\` |`));
    assert.ok(row, `no table row for ${option.key}`);
    assert.ok(row.includes(`\`${option.env}\``), `${option.key}: environment variable ${option.env}`);
    assert.ok(row.includes(`\`--${option.flag}`), `${option.key}: flag --${option.flag}`);
    const shownDefault = option.default === undefined ? 'unset' : `\`${option.default}\``;
    assert.ok(row.includes(`| ${shownDefault} |`), `${option.key}: default ${shownDefault}`);
  }
  assert.ok(doc.includes(`\`--${CONFIG_FILE_OPTION.flag} FILE\``));
  assert.ok(doc.includes(`\`${CONFIG_FILE_OPTION.env}\``));
});

test('docs/http-api.md lists every error code the server answers with, and its status', async () => {
  const doc = await readFile(new URL('http-api.md', docsDir), 'utf8');
  for (const [code, status] of Object.entries(ERROR_STATUS)) {
    assert.ok(doc.includes(`| \`${code}\` | ${status} |`), `error code ${code} (${status})`);
  }
});
