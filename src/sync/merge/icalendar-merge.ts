// iCalendar: each event, task or journal entry is matched by UID and RECURRENCE-ID (a time
// zone by TZID), and merged property by property; alarms and other nested components merge
// as sets of whole components (docs/sync.md, "Merge rules").
import { mergeComponent, type ComponentRules } from './component-merge.ts';
import { parseContentLines, serializeComponent, type LineComponent } from './content-lines.ts';
import type { MergeOutcome, MergeSides } from './merge-outcome.ts';

const MULTI_VALUED = new Set(['ATTENDEE', 'CATEGORIES', 'EXDATE', 'RDATE', 'ATTACH', 'COMMENT', 'CONTACT', 'RELATED-TO', 'RESOURCES']);
const VOLATILE = new Set(['DTSTAMP', 'LAST-MODIFIED', 'SEQUENCE', 'PRODID']);

function valueOf(component: LineComponent, name: string): string {
  const line = component.lines.find((l) => l.name === name);
  return line ? line.unfolded.slice(line.unfolded.indexOf(':') + 1) : '';
}

function childKey(child: LineComponent): string | null {
  if (child.name === 'VTIMEZONE') return `VTIMEZONE:${valueOf(child, 'TZID')}`;
  if (['VEVENT', 'VTODO', 'VJOURNAL', 'VFREEBUSY'].includes(child.name)) {
    return `${child.name}:${valueOf(child, 'UID')}:${valueOf(child, 'RECURRENCE-ID')}`;
  }
  return null;
}

export function mergeICalendar(sides: MergeSides<string>): MergeOutcome {
  const [base, ours, theirs] = [sides.base, sides.ours, sides.theirs].map(parseContentLines);
  const single = (roots: ReturnType<typeof parseContentLines> | undefined) => (roots?.length === 1 && roots[0]?.name === 'VCALENDAR' ? roots[0] : null);
  const [b, o, t] = [single(base), single(ours), single(theirs)];
  if (!b || !o || !t) return { kind: 'unmergeable', reason: 'each side must be exactly one VCALENDAR' };
  // Keyed children are the calendar's own (events, tasks, time zones); anything nested in
  // them (alarms, a zone's STANDARD and DAYLIGHT) has no key and merges as a set.
  const rules: ComponentRules = { multiValued: MULTI_VALUED, volatile: VOLATILE, childKey, prefer: sides.prefer };
  const merged = mergeComponent(b, o, t, rules);
  if (merged.kind === 'conflict') return { kind: 'conflict', fields: merged.fields };
  return { kind: 'merged', text: `${serializeComponent(merged.component)}\r\n` };
}
