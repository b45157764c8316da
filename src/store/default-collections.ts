// What every new user starts with, created in the same transaction as the user: phones
// that discover the account find an address book, a calendar and a task list at once.
import type { CollectionKind, CollectionProps } from './types.ts';

export const DEFAULT_COLLECTIONS: ReadonlyArray<{ name: string; kind: CollectionKind; props: CollectionProps }> = [
  { name: 'contacts', kind: 'contacts', props: { displayName: 'Contacts' } },
  { name: 'calendar', kind: 'calendar', props: { displayName: 'Calendar' } },
  { name: 'tasks', kind: 'tasks', props: { displayName: 'Tasks' } },
];
