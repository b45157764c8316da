// REPORT (RFC 3253 §3.6) for address books and calendars: the multigets (RFC 6352 §8.7,
// RFC 4791 §7.9), which fetch named items with their content in one request, and the
// queries (RFC 6352 §8.6, RFC 4791 §7.8), whose filters ./carddav/ and ./caldav/ evaluate.
// Any other report is refused with supported-report, so a client falls back to PROPFIND.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { matchesCalendarFilter, parseCalendarFilter } from './caldav/calendar-query.ts';
import { matchesAddressbookFilter, parseAddressbookFilter } from './carddav/addressbook-query.ts';
import { DavError, davError } from './dav-errors.ts';
import { destinationPath } from './dav-paths.ts';
import { davContext, existing, lookup, requestPath, type DavContext, type DavResource } from './dav-resources.ts';
import { propstatResponse, sendMultistatus, statusResponse } from './multistatus.ts';
import { flavourOf, propertyContext, propertyValue, type PropertyContext, type PropertyName } from './properties.ts';
import { childrenOf } from './propfind.ts';
import { readXmlBody } from './request-body.ts';
import { depthOf } from './request-headers.ts';
import { syncCollection } from './sync-collection.ts';
import { floatingZoneOf, freeBusyReport } from './free-busy-report.ts';
import { expandCalendarData, parseExpandRange } from './caldav/expand.ts';
import type { TimeRange } from './caldav/time-range.ts';
import type { Collection } from '../../store/types.ts';
import { NS, childElement, childElements, type XmlElement } from './xml/xml-element.ts';
import { el, type XmlOut } from './xml/write-xml.ts';

type ItemResource = Extract<DavResource, { kind: 'item' }>;

function requestedProps(root: XmlElement): PropertyName[] {
  const prop = childElement(root, NS.dav, 'prop');
  return prop ? prop.children.map(({ ns, name }) => ({ ns, name })) : [{ ns: NS.dav, name: 'getetag' }];
}

async function contentText(context: DavContext, item: ItemResource): Promise<string> {
  const content = await context.userStore.readContent(item.item.head.id);
  if (!content) throw new Error(`the head revision ${item.item.head.id} of a live item has no content`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of content.open()) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** address-data / calendar-data: the stored object, as the client sent it. */
function isDataProperty(property: PropertyName, resource: DavResource): boolean {
  if (resource.kind !== 'item') return false;
  const flavour = flavourOf(resource.collection.kind);
  return (flavour === 'addressbook' && property.ns === NS.carddav && property.name === 'address-data') ||
    (flavour === 'calendar' && property.ns === NS.caldav && property.name === 'calendar-data');
}

async function describe(resource: DavResource, names: PropertyName[], context: PropertyContext, text: () => Promise<string>): Promise<XmlOut> {
  const byStatus = new Map<number, XmlOut[]>();
  const add = (status: number, xml: XmlOut): void => {
    byStatus.set(status, [...(byStatus.get(status) ?? []), xml]);
  };
  for (const name of names) {
    if (isDataProperty(name, resource)) {
      add(200, el(name.ns, name.name, [await text()]));
      continue;
    }
    const value = await propertyValue(name, resource, context);
    if (value) add(200, value);
    else add(404, el(name.ns, name.name));
  }
  if (byStatus.size === 0) byStatus.set(200, []);
  return propstatResponse(resource.href, byStatus);
}

/** The expand range asked for inside `<cal:calendar-data>` of the report's prop, if any. */
function expandRangeOf(root: XmlElement): TimeRange | null {
  const data = childElement(childElement(root, NS.dav, 'prop') ?? root, NS.caldav, 'calendar-data');
  const expand = data ? childElement(data, NS.caldav, 'expand') : undefined;
  if (!expand) return null;
  const parsed = parseExpandRange(expand);
  if (parsed.kind === 'invalid') throw davError('bad-request', `The expand range is not usable: ${parsed.message}`);
  return parsed.range;
}

/** The content for address-data / calendar-data: as stored, or expanded (RFC 4791 §9.6.5) when asked. */
function dataLoader(root: XmlElement, collection: Collection, load: () => Promise<string>): () => Promise<string> {
  const range = expandRangeOf(root);
  if (!range) return load;
  const zone = floatingZoneOf(collection);
  return async () => expandCalendarData(await load(), range, zone === undefined ? {} : { floatingTimeZone: zone });
}

async function multiget(request: FastifyRequest, context: DavContext, root: XmlElement): Promise<XmlOut[]> {
  const names = requestedProps(root);
  const properties = propertyContext(context);
  const responses: XmlOut[] = [];
  for (const href of childElements(root, NS.dav, 'href').map((h) => h.text.trim())) {
    let found: Awaited<ReturnType<typeof lookup>>;
    try {
      found = await lookup(context, destinationPath(href, request.headers.host));
    } catch (error) {
      // A bad or foreign href is answered for that href alone; a server failure fails the report.
      if (!(error instanceof DavError) || error.code === 'internal' || error.code === 'content-damaged') throw error;
      responses.push(statusResponse(href, error.code === 'bad-gateway' ? 404 : error.status));
      continue;
    }
    if (found.kind === 'missing') {
      responses.push(statusResponse(href, 404));
      continue;
    }
    const resource = found;
    const load = (): Promise<string> => (resource.kind === 'item' ? contentText(context, resource) : Promise.resolve(''));
    responses.push(await describe(resource, names, properties, resource.kind === 'item' ? dataLoader(root, resource.collection, load) : load));
  }
  return responses;
}

type Matcher = (text: string) => boolean;

function addressbookMatcher(root: XmlElement): Matcher {
  const filter = childElement(root, NS.carddav, 'filter');
  if (!filter) return () => true;
  const parsed = parseAddressbookFilter(filter);
  if (parsed.kind === 'unsupported') throw davError(`address-${parsed.precondition}`, parsed.message);
  return (text) => matchesAddressbookFilter(parsed.filter, text);
}

function calendarMatcher(root: XmlElement, resource: DavResource): Matcher {
  const filter = childElement(root, NS.caldav, 'filter');
  if (!filter) throw davError('calendar-valid-filter', 'A calendar-query needs a CALDAV:filter (RFC 4791 §7.8).');
  const parsed = parseCalendarFilter(filter);
  if (parsed.kind === 'unsupported') throw davError(`calendar-${parsed.precondition}`, parsed.message);
  const collection = resource.kind === 'collection' ? resource.collection : resource.kind === 'item' ? resource.collection : null;
  const zone = collection ? floatingZoneOf(collection) : undefined;
  return (text) => matchesCalendarFilter(parsed.filter, text, zone === undefined ? {} : { floatingTimeZone: zone });
}

async function query(request: FastifyRequest, context: DavContext, root: XmlElement, matcher: Matcher): Promise<XmlOut[]> {
  const resource = await existing(context, requestPath(request));
  const names = requestedProps(root);
  const properties = propertyContext(context);
  const candidates = resource.kind === 'item' ? [resource] : depthOf(request, 0) === 0 ? [] : await childrenOf(context, resource);
  // RFC 6352 §8.6.1: an addressbook-query may ask for at most N results; more are cut off,
  // and the answer says so with a 507 for the collection.
  const limitText = childElement(childElement(root, NS.carddav, 'limit') ?? root, NS.carddav, 'nresults')?.text.trim();
  const limit = limitText === undefined ? null : Number(limitText);
  if (limit !== null && (!Number.isInteger(limit) || limit < 1)) throw davError('bad-request', 'CARDDAV:nresults must be a positive whole number.');
  const responses: XmlOut[] = [];
  for (const candidate of candidates) {
    if (candidate.kind !== 'item') continue;
    let text: string | undefined;
    const load = async (): Promise<string> => (text ??= await contentText(context, candidate));
    if (!matcher(await load())) continue;
    if (limit !== null && responses.length >= limit) {
      responses.push(statusResponse(resource.href, 507, `More than ${limit} results match; only the first ${limit} are listed.`));
      break;
    }
    responses.push(await describe(candidate, names, properties, dataLoader(root, candidate.collection, load)));
  }
  return responses;
}

export async function report(request: FastifyRequest, reply: FastifyReply, xmlLimit: number): Promise<FastifyReply> {
  const context = davContext(request);
  const root = await readXmlBody(request, xmlLimit);
  if (root === null) throw davError('bad-request', 'A REPORT needs an XML body naming the report.');
  // The resource must exist (and be the user's) whichever report is asked for.
  const resource = await existing(context, requestPath(request));
  const key = `{${root.ns}}${root.name}`;
  switch (key) {
    case `{${NS.carddav}}addressbook-multiget`:
    case `{${NS.caldav}}calendar-multiget`:
      return sendMultistatus(reply, await multiget(request, context, root));
    case `{${NS.carddav}}addressbook-query`:
      return sendMultistatus(reply, await query(request, context, root, addressbookMatcher(root)));
    case `{${NS.caldav}}calendar-query`:
      return sendMultistatus(reply, await query(request, context, root, calendarMatcher(root, resource)));
    case `{${NS.caldav}}free-busy-query`:
      return freeBusyReport(reply, context, resource, root, (item) => contentText(context, item));
    case `{${NS.dav}}sync-collection`:
      return syncCollection(reply, context, resource, root, (each, names, properties) =>
        describe(each, names, properties, () => (each.kind === 'item' ? contentText(context, each) : Promise.resolve(''))),
      );
    default:
      throw davError('supported-report', `The report ${key} is not supported here; address books answer addressbook-multiget and addressbook-query, calendars calendar-multiget and calendar-query.`);
  }
}
