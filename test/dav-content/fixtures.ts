// Reads the client fixtures in test/fixtures (see its README for where each shape comes from).
import { readFileSync } from 'node:fs';

export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8');
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Joins lines with CRLF, the way clients send them. */
export function crlf(...lines: string[]): string {
  return lines.join('\r\n') + '\r\n';
}
