// What an address book or a calendar accepts on PUT, COPY and MOVE: one valid vCard or
// calendar object (checked by ./carddav/ and ./caldav/), of a supported media type, whose UID
// the store then keeps unique in the collection. The bytes stored are the client's own.
import type { Collection } from '../../store/types.ts';
import { validateICalendar } from './caldav/icalendar.ts';
import { validateVCard } from './carddav/vcard.ts';
import { davError, type DavError } from './dav-errors.ts';
import { hrefs } from './dav-paths.ts';
import { componentsOf, flavourOf } from './properties.ts';
import { dav } from './xml/write-xml.ts';

export interface CheckedContent {
  contentType: string;
  /** The UID, kept unique among the collection's live items; none for plain collections. */
  uniqueKey?: string;
}

function essence(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

/** True when content for this collection must be read whole and checked before it is stored. */
export function needsContentCheck(collection: Pick<Collection, 'kind'>): boolean {
  return flavourOf(collection.kind) !== 'plain';
}

export function checkContent(collection: Pick<Collection, 'kind'>, contentType: string | undefined, body: Buffer): CheckedContent {
  const flavour = flavourOf(collection.kind);
  if (flavour === 'addressbook') {
    const type = essence(contentType);
    if (type !== undefined && type !== 'text/vcard' && type !== 'text/x-vcard') {
      throw davError('supported-address-data', `An address book holds vCards (text/vcard), not ${type}.`);
    }
    const result = validateVCard(body);
    if (result.kind === 'invalid') throw davError(result.precondition, capitalise(result.message));
    return { contentType: contentType ?? 'text/vcard; charset=utf-8', uniqueKey: result.uid };
  }
  if (flavour === 'calendar') {
    const type = essence(contentType);
    if (type !== undefined && type !== 'text/calendar') {
      throw davError('supported-calendar-data', `A calendar holds iCalendar objects (text/calendar), not ${type}.`);
    }
    const result = validateICalendar(body, { allowedComponents: componentsOf(collection.kind) });
    if (result.kind === 'invalid') throw davError(result.precondition, capitalise(result.message));
    return { contentType: contentType ?? 'text/calendar; charset=utf-8', uniqueKey: result.uid };
  }
  return { contentType: contentType ?? 'application/octet-stream' };
}

/** The 409 for a second item with the same UID, naming the one that has it (RFC 6352 §6.3.2.1). */
export function uidConflict(collection: Collection, userName: string, existingName: string): DavError {
  const code = flavourOf(collection.kind) === 'calendar' ? 'calendar-no-uid-conflict' : 'address-no-uid-conflict';
  return davError(code, `Another item in this collection, "${existingName}", has the same UID; update that one instead.`, {}, [
    dav('href', [hrefs.item(userName, collection.path, existingName)]),
  ]);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
