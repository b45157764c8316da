// vCard: a property is a field, keyed by group, name and parameters; TEL, EMAIL and the
// other many-valued properties merge as sets (docs/sync.md, "Merge rules").
import { mergeComponent, type ComponentRules } from './component-merge.ts';
import { parseContentLines, serializeComponent } from './content-lines.ts';
import type { MergeOutcome, MergeSides } from './merge-outcome.ts';

const MULTI_VALUED = new Set(['TEL', 'EMAIL', 'ADR', 'URL', 'IMPP', 'X-SOCIALPROFILE', 'RELATED', 'MEMBER', 'CATEGORIES', 'NICKNAME', 'X-ABRELATEDNAMES', 'X-ABLABEL', 'X-ABDATE', 'LANG', 'KEY']);
const VOLATILE = new Set(['REV', 'PRODID']);

export function mergeVCard(sides: MergeSides<string>): MergeOutcome {
  const [base, ours, theirs] = [sides.base, sides.ours, sides.theirs].map(parseContentLines);
  const single = (roots: ReturnType<typeof parseContentLines> | undefined) => (roots?.length === 1 && roots[0]?.name === 'VCARD' ? roots[0] : null);
  const [b, o, t] = [single(base), single(ours), single(theirs)];
  if (!b || !o || !t) return { kind: 'unmergeable', reason: 'each side must be exactly one vCard' };
  const rules: ComponentRules = { multiValued: MULTI_VALUED, volatile: VOLATILE, childKey: () => null, prefer: sides.prefer };
  const merged = mergeComponent(b, o, t, rules);
  if (merged.kind === 'conflict') return { kind: 'conflict', fields: merged.fields };
  return { kind: 'merged', text: `${serializeComponent(merged.component)}\r\n` };
}
