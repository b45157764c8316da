// The properties of DAV resources: the live ones computed from the store (RFC 4918,
// RFC 5397, CardDAV, CalDAV and the calendarserver.org getctag that macOS needs), the
// display properties a client may set (kept in the collection's props), and dead
// properties a client invents, kept verbatim.
import type { Collection, CollectionKind, CollectionProps, StoreIdentity, UserUsage } from '../../store/types.ts';
import type { CalendarComponentName } from './caldav/icalendar.ts';
import { etagOf } from '../rest/conditional.ts';
import { hrefs } from './dav-paths.ts';
import { lockDiscoveryValue, supportedLockValue } from './locks/lock-xml.ts';
import { SUPPORTED_REPORTS } from './supported-reports.ts';
import { syncToken } from './sync-collection.ts';
import type { DavContext, DavResource } from './dav-resources.ts';
import { parseXml } from './xml/parse-xml.ts';
import { NS } from './xml/xml-element.ts';
import { dav, el, fromParsed, type XmlOut } from './xml/write-xml.ts';

export interface PropertyName {
  ns: string;
  name: string;
}

/** "{namespace}local", how dead properties are keyed in the store. */
export function clarkName(property: PropertyName): string {
  return `{${property.ns}}${property.name}`;
}

export function parseClarkName(key: string): PropertyName | null {
  const match = /^\{([^}]*)\}(.+)$/.exec(key);
  return match ? { ns: match[1] ?? '', name: match[2] ?? '' } : null;
}

export type DavFlavour = 'addressbook' | 'calendar' | 'plain';

export function flavourOf(kind: CollectionKind): DavFlavour {
  if (kind === 'contacts') return 'addressbook';
  if (kind === 'calendar' || kind === 'tasks') return 'calendar';
  return 'plain';
}

/** The iCalendar components a calendar of this kind holds. */
export function componentsOf(kind: CollectionKind): CalendarComponentName[] {
  return kind === 'tasks' ? ['VTODO'] : ['VEVENT'];
}

type Value = Array<XmlOut | string>;

interface LiveProperty extends PropertyName {
  appliesTo(resource: DavResource): boolean;
  /** Part of `allprop` (RFC 4918 §9.1: the properties it defines, and cheap ones). */
  allprop: boolean;
  /** The value, or null when the resource has no value for it (reported as 404). */
  value(resource: DavResource, context: PropertyContext): Promise<Value | null> | Value | null;
}

export interface PropertyContext extends DavContext {
  /** The latest change sequence of a collection and its items, computed once per request. */
  latestSeq(collection: Collection): Promise<number>;
  /** Who the store is, for sync tokens; read once per request. */
  identity(): Promise<StoreIdentity>;
  /** The user's usage and quota; read once per request. */
  usage(): Promise<UserUsage>;
}

const anyResource = (): boolean => true;
const isCollectionLike = (r: DavResource): boolean => r.kind !== 'item';
const isCollection = (r: DavResource): r is Extract<DavResource, { kind: 'collection' }> => r.kind === 'collection';
const isFlavour = (flavour: DavFlavour) => (r: DavResource): boolean => r.kind === 'collection' && flavourOf(r.collection.kind) === flavour;
const ofPrincipal = (r: DavResource): boolean => r.kind === 'principal';

function httpDate(iso: string): string {
  return new Date(iso).toUTCString();
}

const principalHref = (context: PropertyContext): Value => [dav('href', [hrefs.principal(context.user.name)])];
const homeHref = (context: PropertyContext): Value => [dav('href', [hrefs.home(context.user.name)])];

/** The collection property that holds a display property, if it is one of them. */
export function displayPropOf(property: PropertyName, collection: Pick<Collection, 'kind'>): keyof Omit<CollectionProps, 'extra'> | null {
  const flavour = flavourOf(collection.kind);
  if (property.ns === NS.dav && property.name === 'displayname') return 'displayName';
  if (flavour === 'addressbook' && property.ns === NS.carddav && property.name === 'addressbook-description') return 'description';
  if (flavour === 'calendar' && property.ns === NS.caldav && property.name === 'calendar-description') return 'description';
  if (property.ns === NS.apple && property.name === 'calendar-color') return 'color';
  if (property.ns === NS.apple && property.name === 'calendar-order') return 'order';
  return null;
}

const displayProperty = (ns: string, name: string, appliesTo: (r: DavResource) => boolean): LiveProperty => ({
  ns,
  name,
  allprop: true,
  appliesTo,
  value(resource) {
    if (!isCollection(resource)) return null;
    const key = displayPropOf({ ns, name }, resource.collection);
    const value = key ? resource.collection.props[key] : undefined;
    // An empty string is how a removed display property is stored (the store merges props).
    return value === undefined || value === '' ? null : [String(value)];
  },
});

export const LIVE_PROPERTIES: readonly LiveProperty[] = [
  {
    ns: NS.dav,
    name: 'resourcetype',
    allprop: true,
    appliesTo: anyResource,
    value(resource) {
      if (resource.kind === 'item') return [];
      const types: Value = [dav('collection')];
      if (resource.kind === 'principal') types.push(dav('principal'));
      if (resource.kind === 'collection') {
        const flavour = flavourOf(resource.collection.kind);
        if (flavour === 'addressbook') types.push(el(NS.carddav, 'addressbook'));
        if (flavour === 'calendar') types.push(el(NS.caldav, 'calendar'));
      }
      return types;
    },
  },
  {
    ns: NS.dav,
    name: 'getetag',
    allprop: true,
    appliesTo: (r) => r.kind === 'item',
    value: (r) => (r.kind === 'item' ? [etagOf(r.item.head, r.collection.kind)] : null),
  },
  {
    ns: NS.dav,
    name: 'getcontenttype',
    allprop: true,
    appliesTo: (r) => r.kind === 'item',
    value: (r) => (r.kind === 'item' ? [r.item.head.contentType ?? 'application/octet-stream'] : null),
  },
  {
    ns: NS.dav,
    name: 'getcontentlength',
    allprop: true,
    appliesTo: (r) => r.kind === 'item',
    value: (r) => (r.kind === 'item' ? [String(r.item.head.size)] : null),
  },
  {
    ns: NS.dav,
    name: 'getlastmodified',
    allprop: true,
    appliesTo: (r) => r.kind === 'item' || r.kind === 'collection',
    value(r) {
      if (r.kind === 'item') return [httpDate(r.item.head.createdAt)];
      if (r.kind === 'collection') return [httpDate(r.collection.updatedAt)];
      return null;
    },
  },
  {
    ns: NS.dav,
    name: 'creationdate',
    allprop: true,
    appliesTo: isCollection,
    value: (r) => (r.kind === 'collection' ? [new Date(r.collection.createdAt).toISOString()] : null),
  },
  displayProperty(NS.dav, 'displayname', isCollection),
  {
    // Not a display property of anything but collections; principals show the user name.
    ns: NS.dav,
    name: 'displayname',
    allprop: true,
    appliesTo: ofPrincipal,
    value: (_r, context) => [context.user.name],
  },
  displayProperty(NS.carddav, 'addressbook-description', isFlavour('addressbook')),
  displayProperty(NS.caldav, 'calendar-description', isFlavour('calendar')),
  displayProperty(NS.apple, 'calendar-color', isCollection),
  displayProperty(NS.apple, 'calendar-order', isCollection),
  {
    // RFC 4918 §15.8: the locks on the resource, its own and those of a collection above it.
    ns: NS.dav,
    name: 'lockdiscovery',
    allprop: true,
    appliesTo: (r) => r.kind === 'item' || r.kind === 'collection',
    value: (r, c) =>
      r.kind === 'item' || r.kind === 'collection'
        ? lockDiscoveryValue(c.locks.covering(c.user.id, r.kind === 'item' ? `${r.collection.path}/${r.item.name}` : r.collection.path), c.locks.now())
        : null,
  },
  { ns: NS.dav, name: 'supportedlock', allprop: true, appliesTo: (r) => r.kind === 'item' || r.kind === 'collection', value: supportedLockValue },
  { ns: NS.dav, name: 'current-user-principal', allprop: false, appliesTo: anyResource, value: (_r, c) => principalHref(c) },
  { ns: NS.dav, name: 'principal-URL', allprop: false, appliesTo: ofPrincipal, value: (_r, c) => principalHref(c) },
  { ns: NS.dav, name: 'owner', allprop: false, appliesTo: (r) => r.kind === 'home' || r.kind === 'collection', value: (_r, c) => principalHref(c) },
  {
    ns: NS.dav,
    name: 'supported-report-set',
    allprop: false,
    appliesTo: isCollectionLike,
    value: (r) =>
      (r.kind === 'collection' ? SUPPORTED_REPORTS[flavourOf(r.collection.kind)] : []).map((report) =>
        dav('supported-report', [dav('report', [el(report.ns, report.name)])]),
      ),
  },
  {
    // RFC 6352 §6.2.3: the largest vCard an address book takes.
    ns: NS.carddav,
    name: 'max-resource-size',
    allprop: false,
    appliesTo: (r) => r.kind === 'collection' && flavourOf(r.collection.kind) === 'addressbook',
    value: (_r, c) => [String(c.maxResourceBytes)],
  },
  {
    // RFC 4791 §5.2.5: the largest calendar object a calendar takes.
    ns: NS.caldav,
    name: 'max-resource-size',
    allprop: false,
    appliesTo: (r) => r.kind === 'collection' && flavourOf(r.collection.kind) === 'calendar',
    value: (_r, c) => [String(c.maxResourceBytes)],
  },
  {
    // RFC 4331: the user's figures on the home and every collection (space anywhere in the
    // home counts against the same quota, which §1 allows). Not in allprop (§3, §4).
    ns: NS.dav,
    name: 'quota-used-bytes',
    allprop: false,
    appliesTo: (r) => r.kind === 'home' || r.kind === 'collection',
    value: async (_r, c) => [String((await c.usage()).usedBytes)],
  },
  {
    // Without a quota there is no figure to give, and §3 lets the server leave it out (404).
    ns: NS.dav,
    name: 'quota-available-bytes',
    allprop: false,
    appliesTo: (r) => r.kind === 'home' || r.kind === 'collection',
    value: async (_r, c) => {
      const { usedBytes, quotaBytes } = await c.usage();
      return quotaBytes === null ? null : [String(Math.max(0, quotaBytes - usedBytes))];
    },
  },
  {
    // RFC 3744 §5.4. No ACLs: a user may do everything in their own space. iOS and DAVx5
    // read this to decide whether a collection is read-only.
    ns: NS.dav,
    name: 'current-user-privilege-set',
    allprop: false,
    appliesTo: (r) => r.kind !== 'root',
    value: (r) => {
      const privileges = ['read', 'write', 'write-properties', 'write-content', 'bind', 'unbind', 'read-current-user-privilege-set'].map((name) => dav('privilege', [dav(name)]));
      if (r.kind === 'collection' && flavourOf(r.collection.kind) === 'calendar') privileges.push(dav('privilege', [el(NS.caldav, 'read-free-busy')]));
      return privileges;
    },
  },
  { ns: NS.carddav, name: 'addressbook-home-set', allprop: false, appliesTo: ofPrincipal, value: (_r, c) => homeHref(c) },
  { ns: NS.caldav, name: 'calendar-home-set', allprop: false, appliesTo: ofPrincipal, value: (_r, c) => homeHref(c) },
  {
    ns: NS.caldav,
    name: 'calendar-user-address-set',
    allprop: false,
    appliesTo: ofPrincipal,
    value: (_r, c) => [dav('href', [`mailto:${c.user.name}@localhost`]), dav('href', [hrefs.principal(c.user.name)])],
  },
  {
    ns: NS.caldav,
    name: 'supported-calendar-component-set',
    allprop: false,
    appliesTo: isFlavour('calendar'),
    value: (r) => (r.kind === 'collection' ? componentsOf(r.collection.kind).map((name) => el(NS.caldav, 'comp', [], { name })) : null),
  },
  {
    ns: NS.caldav,
    name: 'supported-calendar-data',
    allprop: false,
    appliesTo: isFlavour('calendar'),
    value: () => [el(NS.caldav, 'calendar-data', [], { 'content-type': 'text/calendar', version: '2.0' })],
  },
  {
    ns: NS.carddav,
    name: 'supported-address-data',
    allprop: false,
    appliesTo: isFlavour('addressbook'),
    value: () => [
      el(NS.carddav, 'address-data-type', [], { 'content-type': 'text/vcard', version: '3.0' }),
      el(NS.carddav, 'address-data-type', [], { 'content-type': 'text/vcard', version: '4.0' }),
    ],
  },
  {
    ns: NS.calendarServer,
    name: 'getctag',
    allprop: false,
    appliesTo: isCollection,
    value: async (r, c) => (r.kind === 'collection' ? [`"${await c.latestSeq(r.collection)}"`] : null),
  },
  {
    // RFC 6578: where a sync-collection REPORT would start from now.
    ns: NS.dav,
    name: 'sync-token',
    allprop: false,
    appliesTo: isCollection,
    value: async (r, c) => (r.kind === 'collection' ? [syncToken(await c.identity(), await c.latestSeq(r.collection))] : null),
  },
];

const LIVE_BY_NAME = new Map<string, LiveProperty[]>();
for (const property of LIVE_PROPERTIES) {
  const key = clarkName(property);
  LIVE_BY_NAME.set(key, [...(LIVE_BY_NAME.get(key) ?? []), property]);
}

/** The live property of this name that applies to the resource, if any. */
export function liveProperty(property: PropertyName, resource: DavResource): LiveProperty | undefined {
  return LIVE_BY_NAME.get(clarkName(property))?.find((p) => p.appliesTo(resource));
}

// RFC 4918 §15: computed by the server on every resource that has them; never dead.
const ALWAYS_PROTECTED = new Set(['resourcetype', 'getetag', 'getcontentlength', 'getcontenttype', 'getlastmodified', 'creationdate', 'lockdiscovery', 'supportedlock']);

/** A live property that a client may not set on this resource. A name that is live only on
 * other kinds of resource (displayname on an item) is the client's to keep as a dead one. */
export function isProtected(property: PropertyName, resource: DavResource): boolean {
  if (resource.kind === 'collection' && displayPropOf(property, resource.collection)) return false;
  if (property.ns === NS.dav && ALWAYS_PROTECTED.has(property.name)) return true;
  return liveProperty(property, resource) !== undefined;
}

/** Dead properties of the resource, by Clark name, as stored XML. */
export function deadProperties(resource: DavResource): Record<string, string> {
  if (resource.kind === 'item') return resource.item.props;
  if (resource.kind !== 'collection') return {};
  return resource.collection.props.extra ?? {};
}

/** A stored dead property back as XML: its value as it was set, children and all. */
export function deadPropertyXml(property: PropertyName, stored: string): XmlOut {
  const parsed = parseXml(stored);
  if (parsed.kind === 'ok' && parsed.root.ns === property.ns && parsed.root.name === property.name) return fromParsed(parsed.root);
  // Not written by this adapter (another protocol's plain value): show it as text.
  return el(property.ns, property.name, [stored]);
}

/** Every property name the resource has, for `propname`; with `allprop`, only those it shows. */
export function propertyNames(resource: DavResource, which: 'all' | 'allprop'): PropertyName[] {
  const names: PropertyName[] = [];
  const seen = new Set<string>();
  for (const property of LIVE_PROPERTIES) {
    if (!property.appliesTo(resource) || (which === 'allprop' && !property.allprop)) continue;
    const key = clarkName(property);
    if (seen.has(key)) continue;
    seen.add(key);
    names.push({ ns: property.ns, name: property.name });
  }
  for (const key of Object.keys(deadProperties(resource))) {
    const name = parseClarkName(key);
    if (name && !seen.has(key)) names.push(name);
  }
  return names;
}

/** The value of one property of the resource, or null: it has none (404). */
export async function propertyValue(property: PropertyName, resource: DavResource, context: PropertyContext): Promise<XmlOut | null> {
  const live = liveProperty(property, resource);
  if (live) {
    const value = await live.value(resource, context);
    return value === null ? null : el(property.ns, property.name, value);
  }
  const stored = deadProperties(resource)[clarkName(property)];
  return stored === undefined ? null : deadPropertyXml(property, stored);
}

/** A property context for one request: each collection's latest change is computed once. */
export function propertyContext(context: DavContext): PropertyContext {
  const latest = new Map<number, Promise<number>>();
  let identity: Promise<StoreIdentity> | undefined;
  let usage: Promise<UserUsage> | undefined;
  return {
    ...context,
    latestSeq(collection) {
      let seq = latest.get(collection.id);
      if (!seq) {
        seq = computeLatestSeq(context, collection);
        latest.set(collection.id, seq);
      }
      return seq;
    },
    identity() {
      identity ??= context.identity();
      return identity;
    },
    usage() {
      usage ??= context.userStore.usage();
      return usage;
    },
  };
}

// The latest change to the collection or any of its items (a delete is a change too), so
// macOS, which compares only getctag, sees every change.
async function computeLatestSeq(context: DavContext, collection: Collection): Promise<number> {
  const items = (await context.userStore.listItems(collection.path, { includeDeleted: true })) ?? [];
  return items.reduce((max, item) => Math.max(max, item.head.seq), collection.seq);
}
