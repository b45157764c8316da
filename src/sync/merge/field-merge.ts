// The three-way rule every format shares, for one field: a field changed on one side
// takes that side; changed the same way on both, either; changed differently on both, a
// conflict. Multi-valued fields (a vCard's TEL and EMAIL, an event's ATTENDEE) merge as
// sets instead: what either side added is kept, what either side removed goes.

export type FieldMerge<T> = { kind: 'merged'; value: T } | { kind: 'conflict' };

/** Values are compared by `same`; `undefined` means the field is absent on that side. */
export function mergeField<T>(base: T | undefined, ours: T | undefined, theirs: T | undefined, same: (a: T | undefined, b: T | undefined) => boolean): FieldMerge<T | undefined> {
  if (same(ours, theirs)) return { kind: 'merged', value: ours };
  if (same(ours, base)) return { kind: 'merged', value: theirs };
  if (same(theirs, base)) return { kind: 'merged', value: ours };
  return { kind: 'conflict' };
}

/** Set merge: kept if on both sides, or added (absent from base) on either. Ours first,
 * in order, then what only theirs has. */
export function mergeSet(base: readonly string[], ours: readonly string[], theirs: readonly string[]): string[] {
  const inBase = new Set(base);
  const inOurs = new Set(ours);
  const inTheirs = new Set(theirs);
  const kept = ours.filter((value) => inTheirs.has(value) || !inBase.has(value));
  const added = theirs.filter((value) => !inOurs.has(value) && !inBase.has(value));
  return [...new Set([...kept, ...added])];
}

export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((value, index) => value === b[index]);
}
