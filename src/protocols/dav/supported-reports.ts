// The REPORTs each kind of collection answers (./report.ts), for supported-report-set.
import { NS } from './xml/xml-element.ts';

export const SUPPORTED_REPORTS = {
  addressbook: [
    { ns: NS.carddav, name: 'addressbook-multiget' },
    { ns: NS.carddav, name: 'addressbook-query' },
  ],
  calendar: [
    { ns: NS.caldav, name: 'calendar-multiget' },
    { ns: NS.caldav, name: 'calendar-query' },
  ],
  plain: [],
} as const satisfies Record<'addressbook' | 'calendar' | 'plain', ReadonlyArray<{ ns: string; name: string }>>;
