// What every merge takes and answers.

export interface MergeSides<T> {
  /** The revision both sides started from. */
  base: T;
  /** The server's current head. */
  ours: T;
  /** The revision the device pushed. */
  theirs: T;
  /** Which side's volatile fields (REV, DTSTAMP) win: the later edit's. */
  prefer: 'ours' | 'theirs';
}

export type MergeOutcome =
  | { kind: 'merged'; text: string }
  /** The same field was changed differently on both sides. */
  | { kind: 'conflict'; fields: string[] }
  /** The content cannot be merged field by field (not parseable, different shapes). */
  | { kind: 'unmergeable'; reason: string };
