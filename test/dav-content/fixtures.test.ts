import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const directory = new URL('../fixtures/', import.meta.url);
const files = readdirSync(directory).filter((name) => name.endsWith('.vcf') || name.endsWith('.ics'));
const readme = readFileSync(new URL('README.md', directory), 'utf8');

void describe('client fixtures stay in the shape clients send', () => {
  for (const name of files) {
    it(`${name}: CRLF line ends, lines folded at 75 octets, valid UTF-8, described in the README`, () => {
      const bytes = readFileSync(new URL(name, directory));
      assert.doesNotThrow(() => new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      const text = bytes.toString('utf8');
      assert.ok(text.endsWith('\r\n'), 'ends with CRLF');
      assert.equal(text.replace(/\r\n/g, '').includes('\n'), false, 'no bare LF');
      for (const line of text.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75, `line longer than 75 octets: ${line}`);
      assert.ok(readme.includes(`\`${name}\``), `README.md describes ${name}`);
    });
  }
});
