// What the simulated people write: contacts as vCards with several properties (so edits on
// two devices touch different fields and merge, or the same field and conflict), notes and
// app records as JSON objects (merged key by key), and small files (one field; now and then
// one past the inline limit, so it travels as a blob).
import type { Random } from '../seeded-random.ts';

export interface SimCollection {
  path: string;
  kind: 'contacts' | 'notes' | 'records' | 'files';
  items: string[];
  contentType: string;
}

export const COLLECTIONS: readonly SimCollection[] = [
  { path: 'contacts', kind: 'contacts', items: ['c0.vcf', 'c1.vcf', 'c2.vcf', 'c3.vcf', 'c4.vcf'], contentType: 'text/vcard' },
  { path: 'notes', kind: 'notes', items: ['n0.json', 'n1.json', 'n2.json'], contentType: 'application/json' },
  { path: 'apps/todo', kind: 'records', items: ['r0.json', 'r1.json', 'r2.json'], contentType: 'application/json' },
  { path: 'files', kind: 'files', items: ['f0.bin', 'f1.bin', 'f2.bin'], contentType: 'application/octet-stream' },
];

const WORDS = ['ada', 'brook', 'cedar', 'delta', 'ember', 'fjord', 'grove', 'harbor', 'iris', 'juniper', 'kestrel', 'linden'];
const VCARD_FIELDS = ['FN', 'TEL', 'EMAIL', 'ORG', 'NOTE', 'TITLE'] as const;
const NOTE_KEYS = ['title', 'body', 'pinned', 'tags'] as const;
const RECORD_KEYS = ['status', 'owner', 'count', 'due'] as const;
/** Past the server's 64 KiB inline limit: pulled by reference and pushed as a blob. */
const LARGE_FILE_BYTES = 70 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function value(random: Random, field: string, stamp: string): string {
  const word = random.pick(WORDS);
  switch (field) {
    case 'TEL':
      return `+44 20 ${random.int(1000, 9999)} ${random.int(1000, 9999)}`;
    case 'EMAIL':
      return `${word}.${stamp}@example.org`;
    default:
      return `${word} ${stamp}`;
  }
}

function vcard(uid: string, fields: Map<string, string>): string {
  const lines = ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`];
  for (const [name, text] of fields) lines.push(`${name}:${text}`);
  return [...lines, 'END:VCARD', ''].join('\r\n');
}

/** A vCard's simple properties (the server's merge may reorder them; this keeps what it finds). */
function vcardFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r\n/)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon);
    if (['BEGIN', 'END', 'VERSION', 'UID'].includes(name)) continue;
    fields.set(name, line.slice(colon + 1));
  }
  return fields;
}

function jsonObject(bytes: Uint8Array | null): Record<string, unknown> | null {
  if (!bytes) return null;
  try {
    const parsed: unknown = JSON.parse(decoder.decode(bytes));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function jsonValue(random: Random, key: string, stamp: string): unknown {
  switch (key) {
    case 'pinned':
      return random.chance(0.5);
    case 'count':
      return random.int(0, 99);
    case 'tags':
      return [random.pick(WORDS), random.pick(WORDS)];
    default:
      return `${random.pick(WORDS)} ${stamp}`;
  }
}

/**
 * New content for `item`: an edit of `current` (the device's copy) that changes one or two
 * fields and now and then removes one, or a new item when there is none. `stamp` makes every
 * write's content its own, so a lost write cannot hide behind an identical one.
 */
export function writeContent(random: Random, collection: SimCollection, item: string, current: Uint8Array | null, stamp: string): Uint8Array {
  const uid = item.replace(/\.[a-z]+$/, '');
  const changes = random.int(1, 2);
  switch (collection.kind) {
    case 'contacts': {
      const fields = current ? vcardFields(decoder.decode(current)) : new Map<string, string>();
      if (fields.size === 0) for (const field of VCARD_FIELDS) if (field === 'FN' || random.chance(0.6)) fields.set(field, value(random, field, stamp));
      else {
        for (let n = 0; n < changes; n += 1) {
          const field = random.pick(VCARD_FIELDS);
          fields.set(field, value(random, field, stamp));
        }
        const removable = [...fields.keys()].filter((name) => name !== 'FN');
        if (removable.length > 0 && random.chance(0.1)) fields.delete(random.pick(removable));
      }
      if (!fields.has('FN')) fields.set('FN', value(random, 'FN', stamp));
      return encoder.encode(vcard(uid, fields));
    }
    case 'notes':
    case 'records': {
      const keys = collection.kind === 'notes' ? NOTE_KEYS : RECORD_KEYS;
      const object = jsonObject(current) ?? {};
      if (Object.keys(object).length === 0) for (const key of keys) object[key] = jsonValue(random, key, stamp);
      else {
        for (let n = 0; n < changes; n += 1) {
          const key = random.pick(keys);
          object[key] = jsonValue(random, key, stamp);
        }
        if (random.chance(0.1)) delete object[random.pick(keys)];
      }
      return encoder.encode(JSON.stringify(object, null, 2));
    }
    case 'files': {
      const size = random.chance(0.1) ? LARGE_FILE_BYTES : random.int(16, 2048);
      const bytes = new Uint8Array(size);
      random.fill(bytes);
      bytes.set(encoder.encode(stamp).subarray(0, size));
      return bytes;
    }
  }
}
