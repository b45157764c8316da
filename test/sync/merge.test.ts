import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergeContent } from '../../src/sync/merge/merge-content.ts';
import { mergeICalendar } from '../../src/sync/merge/icalendar-merge.ts';
import { mergeJson } from '../../src/sync/merge/json-merge.ts';
import { mergeVCard } from '../../src/sync/merge/vcard-merge.ts';

const card = (...lines: string[]) => ['BEGIN:VCARD', 'VERSION:4.0', 'UID:urn:uuid:ada', ...lines, 'END:VCARD', ''].join('\r\n');
const merged = (outcome: { kind: string; text?: string }) => {
  assert.equal(outcome.kind, 'merged', JSON.stringify(outcome));
  return outcome.text ?? '';
};

describe('vCard merge', () => {
  const base = card('FN:Ada Lovelace', 'TEL;TYPE=cell:+44 1', 'EMAIL:ada@example.org', 'REV:20240101T000000Z');

  test('edits of different properties merge, each side keeping the other side\'s edit', () => {
    const ours = card('FN:Ada King', 'TEL;TYPE=cell:+44 1', 'EMAIL:ada@example.org', 'REV:20240102T000000Z');
    const theirs = card('FN:Ada Lovelace', 'TEL;TYPE=cell:+44 1', 'EMAIL:ada@example.org', 'NOTE:mathematician', 'REV:20240103T000000Z');
    const text = merged(mergeVCard({ base, ours, theirs, prefer: 'theirs' }));
    assert.match(text, /FN:Ada King/);
    assert.match(text, /NOTE:mathematician/);
    assert.match(text, /REV:20240103T000000Z/, 'volatile REV comes from the preferred side');
    assert.doesNotMatch(text, /Lovelace/);
    assert.ok(text.startsWith('BEGIN:VCARD\r\nVERSION:4.0\r\n') && text.endsWith('END:VCARD\r\n'));
  });

  test('TEL and EMAIL merge as sets: additions on both sides are kept, a removal on one side goes', () => {
    const ours = card('FN:Ada Lovelace', 'TEL;TYPE=cell:+44 1', 'TEL;TYPE=cell:+44 2', 'REV:1');
    const theirs = card('FN:Ada Lovelace', 'TEL;TYPE=cell:+44 1', 'TEL;TYPE=cell:+44 3', 'EMAIL:ada@example.org', 'EMAIL:ada@work.example', 'REV:2');
    const text = merged(mergeVCard({ base, ours, theirs, prefer: 'ours' }));
    for (const tel of ['+44 1', '+44 2', '+44 3']) assert.ok(text.includes(`TEL;TYPE=cell:${tel}`), tel);
    assert.ok(text.includes('EMAIL:ada@work.example'));
    assert.ok(!text.includes('EMAIL:ada@example.org\r\n'), 'ours removed the old address, theirs kept it unchanged: removed');
  });

  test('the same property changed differently on both sides is a conflict naming it', () => {
    const ours = card('FN:Ada King', 'TEL;TYPE=cell:+44 1', 'EMAIL:ada@example.org');
    const theirs = card('FN:Augusta Ada', 'TEL;TYPE=cell:+44 1', 'EMAIL:ada@example.org');
    assert.deepEqual(mergeVCard({ base, ours, theirs, prefer: 'ours' }), { kind: 'conflict', fields: ['FN'] });
  });

  test('group and parameters are part of a property\'s key; folded lines are compared unfolded and written as sent', () => {
    const long = `NOTE:${'x'.repeat(70)}\r\n ${'y'.repeat(20)}`;
    const ours = card('FN:Ada Lovelace', 'TEL;TYPE=cell:+44 1', 'EMAIL:ada@example.org', 'item1.X-ABLABEL:Lab', long);
    const theirs = card('FN:Ada Lovelace', 'TEL;TYPE=home:+44 1', 'EMAIL:ada@example.org');
    const text = merged(mergeVCard({ base, ours, theirs, prefer: 'ours' }));
    assert.ok(text.includes(long), 'the folded line is kept byte for byte');
    assert.ok(text.includes('item1.X-ABLABEL:Lab'));
    assert.ok(text.includes('TEL;TYPE=home:+44 1') && !text.includes('TEL;TYPE=cell'));
  });

  test('content that is not one vCard is unmergeable', () => {
    assert.equal(mergeVCard({ base, ours: 'garbage', theirs: base, prefer: 'ours' }).kind, 'unmergeable');
  });
});

const calendar = (...events: string[][]) =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...events.flat(), 'END:VCALENDAR', ''].join('\r\n');
const event = (uid: string, ...lines: string[]) => ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20240101T000000Z', 'DTSTART:20240105T100000Z', ...lines, 'END:VEVENT'];

describe('iCalendar merge', () => {
  const base = calendar(event('e1', 'SUMMARY:Lunch', 'LOCATION:Cafe'), event('e1', 'RECURRENCE-ID:20240112T100000Z', 'SUMMARY:Lunch moved'));

  test('properties of one event merge; an occurrence (RECURRENCE-ID) is a component of its own', () => {
    const ours = calendar(event('e1', 'SUMMARY:Team lunch', 'LOCATION:Cafe'), event('e1', 'RECURRENCE-ID:20240112T100000Z', 'SUMMARY:Lunch moved'));
    const theirs = calendar(
      event('e1', 'SUMMARY:Lunch', 'LOCATION:Canteen'),
      event('e1', 'RECURRENCE-ID:20240112T100000Z', 'SUMMARY:Lunch moved', 'DESCRIPTION:bring cake'),
    );
    const text = merged(mergeICalendar({ base, ours, theirs, prefer: 'ours' }));
    assert.match(text, /SUMMARY:Team lunch\r\nLOCATION:Canteen/);
    assert.match(text, /DESCRIPTION:bring cake/);
    assert.equal(text.match(/BEGIN:VEVENT/g)?.length, 2);
  });

  test('an event added on one side is kept; one removed on one side and unchanged on the other goes', () => {
    const ours = calendar(event('e1', 'SUMMARY:Lunch', 'LOCATION:Cafe'));
    const theirs = calendar(...[event('e1', 'SUMMARY:Lunch', 'LOCATION:Cafe'), event('e1', 'RECURRENCE-ID:20240112T100000Z', 'SUMMARY:Lunch moved'), event('e2', 'SUMMARY:New')]);
    const text = merged(mergeICalendar({ base, ours, theirs, prefer: 'ours' }));
    assert.doesNotMatch(text, /RECURRENCE-ID/);
    assert.match(text, /UID:e2/);
  });

  test('alarms merge as a set; the same summary changed on both sides is a conflict', () => {
    const alarm = (trigger: string) => ['BEGIN:VALARM', 'ACTION:DISPLAY', `TRIGGER:${trigger}`, 'END:VALARM'];
    const withAlarm = calendar([...event('e1', 'SUMMARY:Lunch', 'LOCATION:Cafe').slice(0, -1), ...alarm('-PT15M'), 'END:VEVENT']);
    const single = calendar(event('e1', 'SUMMARY:Lunch', 'LOCATION:Cafe'));
    const theirs = calendar([...event('e1', 'SUMMARY:Lunch', 'LOCATION:Cafe').slice(0, -1), ...alarm('-PT1H'), 'END:VEVENT']);
    const text = merged(mergeICalendar({ base: single, ours: withAlarm, theirs, prefer: 'ours' }));
    assert.match(text, /TRIGGER:-PT15M/);
    assert.match(text, /TRIGGER:-PT1H/);
    const a = calendar(event('e1', 'SUMMARY:A', 'LOCATION:Cafe'));
    const b = calendar(event('e1', 'SUMMARY:B', 'LOCATION:Cafe'));
    const outcome = mergeICalendar({ base: single, ours: a, theirs: b, prefer: 'ours' });
    assert.deepEqual(outcome, { kind: 'conflict', fields: ['VEVENT:e1:/SUMMARY'] });
  });
});

describe('JSON merge (records and notes)', () => {
  const base = JSON.stringify({ title: 'Shopping', body: 'milk', tags: ['home'] }, null, 2);

  test('top-level keys merge; key order does not count as a change', () => {
    const ours = JSON.stringify({ title: 'Groceries', body: 'milk', tags: ['home'] }, null, 2);
    const theirs = JSON.stringify({ tags: ['home'], body: 'milk\neggs', title: 'Shopping', pinned: true }, null, 2);
    const text = merged(mergeJson({ base, ours, theirs, prefer: 'ours' }));
    assert.deepEqual(JSON.parse(text), { title: 'Groceries', body: 'milk\neggs', tags: ['home'], pinned: true });
    assert.match(text, /\n {2}"title"/, 'written with the indentation of the sides');
  });

  test('a key removed on one side goes; the same key changed on both is a conflict', () => {
    const ours = JSON.stringify({ title: 'Shopping', body: 'milk' });
    const theirs = JSON.stringify({ title: 'Shopping', body: 'bread', tags: ['home'] });
    assert.deepEqual(JSON.parse(merged(mergeJson({ base, ours, theirs, prefer: 'ours' }))), { title: 'Shopping', body: 'bread' });
    const clash = mergeJson({ base, ours: JSON.stringify({ title: 'A' }), theirs: JSON.stringify({ title: 'B' }), prefer: 'ours' });
    assert.deepEqual(clash, { kind: 'conflict', fields: ['title'] });
  });
});

describe('merge by collection kind', () => {
  const bytes = (text: string) => Buffer.from(text, 'utf8');

  test('a text note or a file is one field: merged only when one side left it unchanged', () => {
    const base = bytes('first');
    assert.equal(Buffer.from((mergeContent('notes', { base, ours: base, theirs: bytes('second'), prefer: 'ours' }) as { content: Uint8Array }).content).toString(), 'second');
    assert.equal(mergeContent('files', { base, ours: bytes('a'), theirs: bytes('b'), prefer: 'ours' }).kind, 'conflict');
  });

  test('contacts use the vCard merge, records the JSON merge', () => {
    const base = bytes(card('FN:A'));
    const result = mergeContent('contacts', { base, ours: bytes(card('FN:A', 'NOTE:x')), theirs: bytes(card('FN:A', 'TEL:1')), prefer: 'ours' });
    assert.equal(result.kind, 'merged');
    const records = mergeContent('records', { base: bytes('{"a":1}'), ours: bytes('{"a":2}'), theirs: bytes('{"a":1,"b":3}'), prefer: 'ours' });
    assert.equal(result.kind === 'merged' && records.kind === 'merged' ? Buffer.from(records.content).toString() : '', '{"a":2,"b":3}');
  });
});
