// What every new user starts with, created in the same transaction as the user: phones
// that discover the account find an address book, a calendar and a task list at once, and
// a WebDAV backup app finds a folder for files at /dav/USER/files/. The order matters: the
// DAV home lists these first, in this order (macOS shows only the first address book).
import type { CollectionKind, CollectionProps } from './types.ts';

export const DEFAULT_COLLECTIONS: ReadonlyArray<{ name: string; kind: CollectionKind; props: CollectionProps }> = [
  { name: 'contacts', kind: 'contacts', props: { displayName: 'Contacts' } },
  { name: 'calendar', kind: 'calendar', props: { displayName: 'Calendar' } },
  { name: 'tasks', kind: 'tasks', props: { displayName: 'Tasks' } },
  { name: 'files', kind: 'files', props: { displayName: 'Files' } },
];
