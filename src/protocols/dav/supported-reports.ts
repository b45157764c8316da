// The REPORTs each kind of collection answers (./report.ts), for supported-report-set.
import { NS } from './xml/xml-element.ts';

const SYNC = { ns: NS.dav, name: 'sync-collection' };

export const SUPPORTED_REPORTS = {
  addressbook: [{ ns: NS.carddav, name: 'addressbook-multiget' }, { ns: NS.carddav, name: 'addressbook-query' }, SYNC],
  calendar: [{ ns: NS.caldav, name: 'calendar-multiget' }, { ns: NS.caldav, name: 'calendar-query' }, { ns: NS.caldav, name: 'free-busy-query' }, SYNC],
  plain: [SYNC],
} as const satisfies Record<'addressbook' | 'calendar' | 'plain', ReadonlyArray<{ ns: string; name: string }>>;
