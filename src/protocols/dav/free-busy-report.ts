// The free-busy-query REPORT (RFC 4791 §7.10) on a calendar: one VFREEBUSY for the asked
// range, computed by ./caldav/free-busy.ts from the calendar's events. And the calendar's
// time zone (CALDAV:calendar-timezone, set by PROPPATCH or MKCALENDAR), which gives floating
// times their meaning in queries.
import type { FastifyReply } from 'fastify';
import type { Collection } from '../../store/types.ts';
import { zoneOfCalendarTimezone } from './caldav/epoch-time.ts';
import { freeBusy, parseFreeBusyRange } from './caldav/free-busy.ts';
import { davError } from './dav-errors.ts';
import type { DavContext, DavResource } from './dav-resources.ts';
import { flavourOf } from './properties.ts';
import { parseXml } from './xml/parse-xml.ts';
import { NS, childElement, type XmlElement } from './xml/xml-element.ts';

/** The IANA zone of the calendar's calendar-timezone property, if it has a usable one. */
export function floatingZoneOf(collection: Collection): string | undefined {
  const stored = collection.props.extra?.[`{${NS.caldav}}calendar-timezone`];
  if (!stored) return undefined;
  const parsed = parseXml(stored);
  return parsed.kind === 'ok' ? zoneOfCalendarTimezone(parsed.root.text) : undefined;
}

export async function freeBusyReport(
  reply: FastifyReply,
  context: DavContext,
  resource: DavResource,
  root: XmlElement,
  readText: (item: Extract<DavResource, { kind: 'item' }>) => Promise<string>,
): Promise<FastifyReply> {
  if (resource.kind !== 'collection' || flavourOf(resource.collection.kind) !== 'calendar') {
    throw davError('forbidden', 'free-busy-query works on a calendar collection.');
  }
  const timeRange = childElement(root, NS.caldav, 'time-range');
  if (!timeRange) throw davError('bad-request', 'A free-busy-query needs a CALDAV:time-range with start and end.');
  const range = parseFreeBusyRange(timeRange);
  if (range.kind === 'invalid') throw davError('bad-request', `The time-range is not usable: ${range.message}`);
  const { collection } = resource;
  const items = (await context.userStore.listItems(collection.path)) ?? [];
  const texts: string[] = [];
  for (const item of items) texts.push(await readText({ kind: 'item', href: '', collection, item }));
  const zone = floatingZoneOf(collection);
  const body = freeBusy(texts, range.range, zone === undefined ? {} : { floatingTimeZone: zone });
  return reply.code(200).header('content-type', 'text/calendar; charset=utf-8').send(body);
}
