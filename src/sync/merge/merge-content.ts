// Picks the merge for a collection's kind and content: vCard for address books,
// iCalendar for calendars and task lists, JSON objects by top-level key for records and
// notes. Anything else (a text note, a file, a photo) is one field: it merges only when
// one side left it as it was.
import type { CollectionKind } from '../../store/types.ts';
import { mergeICalendar } from './icalendar-merge.ts';
import { mergeJson } from './json-merge.ts';
import type { MergeOutcome, MergeSides } from './merge-outcome.ts';
import { mergeVCard } from './vcard-merge.ts';

export type { MergeOutcome, MergeSides } from './merge-outcome.ts';

export type ContentMerge =
  | { kind: 'merged'; content: Uint8Array }
  | { kind: 'conflict'; fields: string[] }
  | { kind: 'unmergeable'; reason: string };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

/** The content as one field. */
function wholeMerge(sides: MergeSides<Uint8Array>): ContentMerge {
  const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
  if (same(sides.ours, sides.theirs) || same(sides.theirs, sides.base)) return { kind: 'merged', content: sides.ours };
  if (same(sides.ours, sides.base)) return { kind: 'merged', content: sides.theirs };
  return { kind: 'conflict', fields: ['content'] };
}

function asContent(outcome: MergeOutcome): ContentMerge {
  return outcome.kind === 'merged' ? { kind: 'merged', content: Buffer.from(outcome.text, 'utf8') } : outcome;
}

export function mergeContent(kind: CollectionKind, sides: MergeSides<Uint8Array>): ContentMerge {
  const [base, ours, theirs] = [text(sides.base), text(sides.ours), text(sides.theirs)];
  const textSides = base !== null && ours !== null && theirs !== null ? { base, ours, theirs, prefer: sides.prefer } : null;
  if (textSides && kind === 'contacts') return asContent(mergeVCard(textSides));
  if (textSides && (kind === 'calendar' || kind === 'tasks')) return asContent(mergeICalendar(textSides));
  if (textSides && (kind === 'records' || kind === 'notes')) {
    const json = mergeJson(textSides);
    if (json.kind !== 'unmergeable') return asContent(json);
  }
  return wholeMerge(sides);
}
