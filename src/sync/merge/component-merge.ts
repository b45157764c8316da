// Three-way merge of one vCard or iCalendar component, field by field: a property is a
// field, keyed by its group, name and parameters (content-lines.ts); nested components are
// fields too, keyed by `childKey` (an event by UID and RECURRENCE-ID) or, without a key,
// merged as a set of whole components (an event's alarms).
import { componentText, type ContentLine, type LineComponent } from './content-lines.ts';
import { mergeField, mergeSet, sameList } from './field-merge.ts';

export interface ComponentRules {
  /** Properties with many values, merged as sets. */
  multiValued: ReadonlySet<string>;
  /** Properties every edit changes (REV, DTSTAMP…): taken from the preferred side, never a conflict. */
  volatile: ReadonlySet<string>;
  /** The key of a nested component, or null to merge those as a set of whole components. */
  childKey(child: LineComponent): string | null;
  /** Which side volatile properties come from: the later edit. */
  prefer: 'ours' | 'theirs';
}

export type ComponentMerge = { kind: 'merged'; component: LineComponent } | { kind: 'conflict'; fields: string[] };

function byKey(lines: readonly ContentLine[]): Map<string, ContentLine[]> {
  const map = new Map<string, ContentLine[]>();
  for (const line of lines) map.set(line.key, [...(map.get(line.key) ?? []), line]);
  return map;
}

const values = (lines: ContentLine[] | undefined): string[] | undefined => lines?.map((line) => line.unfolded);

function mergeLines(base: readonly ContentLine[], ours: readonly ContentLine[], theirs: readonly ContentLine[], rules: ComponentRules, conflicts: string[]): ContentLine[] {
  const [b, o, t] = [byKey(base), byKey(ours), byKey(theirs)];
  const raw = new Map<string, ContentLine>();
  for (const line of [...base, ...theirs, ...ours]) raw.set(line.unfolded, line);
  const keys = [...new Set([...o.keys(), ...t.keys()])];
  const out: ContentLine[] = [];
  for (const key of keys) {
    const name = (o.get(key) ?? t.get(key))?.[0]?.name ?? key;
    let result: string[] | undefined;
    if (rules.volatile.has(name)) {
      result = rules.prefer === 'ours' ? (values(o.get(key)) ?? values(t.get(key))) : (values(t.get(key)) ?? values(o.get(key)));
    } else if (rules.multiValued.has(name)) {
      result = mergeSet(values(b.get(key)) ?? [], values(o.get(key)) ?? [], values(t.get(key)) ?? []);
    } else {
      const merged = mergeField(values(b.get(key)), values(o.get(key)), values(t.get(key)), sameList);
      if (merged.kind === 'conflict') {
        conflicts.push(key.split(';')[0] ?? key);
        continue;
      }
      result = merged.value;
    }
    for (const value of result ?? []) {
      const line = raw.get(value);
      if (line) out.push(line);
    }
  }
  return out;
}

function mergeChildren(base: readonly LineComponent[], ours: readonly LineComponent[], theirs: readonly LineComponent[], rules: ComponentRules, conflicts: string[]): LineComponent[] {
  const keyed = (list: readonly LineComponent[]) => {
    const map = new Map<string, LineComponent>();
    list.forEach((child) => map.set(rules.childKey(child) ?? `#set:${componentText(child)}`, child));
    return map;
  };
  const [b, o, t] = [keyed(base), keyed(ours), keyed(theirs)];
  const out: LineComponent[] = [];
  for (const key of new Set([...o.keys(), ...t.keys()])) {
    const [bc, oc, tc] = [b.get(key), o.get(key), t.get(key)];
    if (key.startsWith('#set:')) {
      // Unkeyed: kept if on both sides or added on one; removed if removed on one.
      if ((oc && tc) || !bc) out.push((oc ?? tc) as LineComponent);
      continue;
    }
    const text = (c: LineComponent | undefined) => (c ? componentText(c) : undefined);
    if (oc && tc) {
      if (text(oc) === text(tc)) out.push(oc);
      else {
        const merged = mergeComponent(bc, oc, tc, rules);
        if (merged.kind === 'merged') out.push(merged.component);
        else conflicts.push(...merged.fields.map((field) => `${key}/${field}`));
      }
      continue;
    }
    const only = (oc ?? tc) as LineComponent;
    if (!bc) out.push(only); // added on one side
    else if (text(only) !== text(bc)) conflicts.push(key); // removed on one side, changed on the other
    // else: removed on one side, unchanged on the other: removed
  }
  return out;
}

/** Merges ours and theirs over base (absent when both sides added the component). */
export function mergeComponent(base: LineComponent | undefined, ours: LineComponent, theirs: LineComponent, rules: ComponentRules): ComponentMerge {
  const conflicts: string[] = [];
  if (!base) return componentText(ours) === componentText(theirs) ? { kind: 'merged', component: ours } : { kind: 'conflict', fields: [ours.name] };
  const lines = mergeLines(base.lines, ours.lines, theirs.lines, rules, conflicts);
  const children = mergeChildren(base.children, ours.children, theirs.children, rules, conflicts);
  if (conflicts.length > 0) return { kind: 'conflict', fields: conflicts };
  return { kind: 'merged', component: { ...ours, lines, children } };
}
