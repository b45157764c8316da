// JSON records and notes: a top-level key is a field. Values are compared whole (a nested
// object changed on both sides is a conflict, not merged deeper).
import { mergeField } from './field-merge.ts';
import type { MergeOutcome, MergeSides } from './merge-outcome.ts';

type JsonObject = Record<string, unknown>;

function parseObject(text: string): JsonObject | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
  } catch {
    return null;
  }
}

/** Key order does not make two values different. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as JsonObject).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

const same = (a: unknown, b: unknown): boolean => (a === undefined || b === undefined ? a === b : canonical(a) === canonical(b));

/** The indentation `text` was written with, so the merged object reads like its sides. */
function indentOf(text: string): number {
  const match = /\n( +)"/.exec(text);
  return match?.[1]?.length ?? 0;
}

export function mergeJson(sides: MergeSides<string>): MergeOutcome {
  const [b, o, t] = [parseObject(sides.base), parseObject(sides.ours), parseObject(sides.theirs)];
  if (!b || !o || !t) return { kind: 'unmergeable', reason: 'each side must be a JSON object' };
  const result: JsonObject = {};
  const conflicts: string[] = [];
  for (const key of new Set([...Object.keys(o), ...Object.keys(t)])) {
    const merged = mergeField(b[key], o[key], t[key], same);
    if (merged.kind === 'conflict') conflicts.push(key);
    else if (merged.value !== undefined) result[key] = merged.value;
  }
  if (conflicts.length > 0) return { kind: 'conflict', fields: conflicts };
  const indent = indentOf(sides.ours);
  return { kind: 'merged', text: JSON.stringify(result, null, indent) + (sides.ours.endsWith('\n') ? '\n' : '') };
}
