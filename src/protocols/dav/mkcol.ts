// MKCOL (RFC 4918 §9.3) with the extended body of RFC 5689, and MKCALENDAR (RFC 4791
// §5.3.1). A plain MKCOL makes a file collection; the body's resourcetype (or MKCALENDAR's
// component set) says whether it is an address book, a calendar or a task list. The
// properties in the body are set in the same store call that creates the collection.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { UserStore } from '../../store/store.ts';
import type { CollectionKind, CollectionProps } from '../../store/types.ts';
import { davError } from './dav-errors.ts';
import { davContext, lookup, requestPath } from './dav-resources.ts';
import { guardWrite } from './locks/write-guard.ts';
import { clarkName, displayPropOf, flavourOf } from './properties.ts';
import { hasBody, isXmlContentType, readXmlBody } from './request-body.ts';
import { NS, childElement, type XmlElement } from './xml/xml-element.ts';
import { fromParsed, serializeXml } from './xml/write-xml.ts';

/** The properties inside `<set><prop>` of an extended MKCOL or MKCALENDAR body. */
function propsToSet(root: XmlElement): XmlElement[] {
  return root.children
    .filter((c) => c.ns === NS.dav && c.name === 'set')
    .flatMap((set) => set.children.filter((c) => c.ns === NS.dav && c.name === 'prop'))
    .flatMap((prop) => prop.children);
}

function kindFromResourcetype(resourcetype: XmlElement): CollectionKind {
  const has = (ns: string, name: string): boolean => childElement(resourcetype, ns, name) !== undefined;
  if (!has(NS.dav, 'collection')) throw davError('valid-resourcetype', 'The resourcetype of a new collection must include DAV: collection.');
  const others = resourcetype.children.filter((c) => !(c.ns === NS.dav && c.name === 'collection'));
  if (others.length === 0) return 'files';
  if (others.length === 1 && has(NS.carddav, 'addressbook')) return 'contacts';
  if (others.length === 1 && has(NS.caldav, 'calendar')) return 'calendar';
  throw davError('valid-resourcetype', 'A new collection can be a plain collection, a CardDAV addressbook or a CalDAV calendar.');
}

function kindFromComponents(set: XmlElement | undefined): CollectionKind {
  if (!set) return 'calendar';
  const names = set.children.filter((c) => c.ns === NS.caldav && c.name === 'comp').map((c) => (c.attributes.name ?? '').toUpperCase());
  // A calendar holds events; one that holds only tasks is a task list.
  return names.length > 0 && names.every((n) => n === 'VTODO') ? 'tasks' : 'calendar';
}

function collectionProps(kind: CollectionKind, properties: XmlElement[]): CollectionProps {
  const props: CollectionProps = {};
  const extra: Record<string, string> = {};
  for (const element of properties) {
    const property = { ns: element.ns, name: element.name };
    if (element.ns === NS.dav && element.name === 'resourcetype') continue;
    if (element.ns === NS.caldav && element.name === 'supported-calendar-component-set') continue;
    const key = displayPropOf(property, { kind });
    if (key === 'order') {
      const order = Number(element.text.trim());
      if (!Number.isInteger(order)) throw davError('conflict', 'calendar-order must be a whole number; nothing was created.');
      props.order = order;
    } else if (key) {
      props[key] = element.text;
    } else {
      extra[clarkName(property)] = serializeXml(fromParsed(element));
    }
  }
  return Object.keys(extra).length > 0 ? { ...props, extra } : props;
}

// RFC 6352 §5.2 and RFC 4791 §4.2: an address book never holds another address book, and a
// calendar never holds another calendar, at any depth.
async function checkLocation(userStore: UserStore, parentPath: string | null, kind: CollectionKind): Promise<void> {
  const flavour = flavourOf(kind);
  if (flavour === 'plain' || parentPath === null) return;
  const segments = parentPath.split('/');
  for (let length = 1; length <= segments.length; length += 1) {
    const ancestor = await userStore.getCollection(segments.slice(0, length).join('/'));
    if (ancestor && flavourOf(ancestor.kind) === flavour) {
      throw flavour === 'addressbook'
        ? davError('addressbook-collection-location-ok', 'An address book cannot be created inside another address book.')
        : davError('calendar-collection-location-ok', 'A calendar cannot be created inside another calendar.');
    }
  }
}

async function makeCollection(request: FastifyRequest, reply: FastifyReply, kind: CollectionKind, props: CollectionProps): Promise<FastifyReply> {
  const context = davContext(request);
  await guardWrite(request, [{ path: requestPath(request), effect: 'bind' }]);
  const found = await lookup(context, requestPath(request));
  if (found.kind !== 'missing') {
    throw davError('method-not-allowed', 'Something already exists at this URL; MKCOL only creates.', { allow: 'OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, COPY, MOVE' });
  }
  if (!found.parentExists) throw davError('conflict', 'The collection to create this in does not exist; create the parent first.');
  await checkLocation(context.userStore, found.parent?.path ?? null, kind);
  const result = await context.userStore.createCollection({
    name: found.name,
    kind,
    props,
    ...(found.parent ? { parent: found.parent.path } : {}),
  });
  switch (result.kind) {
    case 'created':
      request.log.info({ collection: result.collection.path, kind }, 'collection created');
      return reply.code(201).header('cache-control', 'no-store').send();
    case 'exists':
      throw davError('method-not-allowed', 'A collection with this name already exists.');
    case 'no-parent':
      throw davError('conflict', 'The parent collection was deleted meanwhile; nothing was created.');
  }
}

export async function mkcol(request: FastifyRequest, reply: FastifyReply, xmlLimit: number): Promise<FastifyReply> {
  if (!hasBody(request)) return makeCollection(request, reply, 'files', {});
  if (!isXmlContentType(request)) {
    throw davError('unsupported-media-type', 'A MKCOL body must be an extended MKCOL XML document (RFC 5689) sent as application/xml.');
  }
  const root = await readXmlBody(request, xmlLimit);
  if (root === null) return makeCollection(request, reply, 'files', {});
  if (root.ns !== NS.dav || root.name !== 'mkcol') throw davError('unsupported-media-type', 'A MKCOL body must be a DAV: mkcol element (RFC 5689).');
  const properties = propsToSet(root);
  const resourcetype = properties.find((p) => p.ns === NS.dav && p.name === 'resourcetype');
  const kind = resourcetype ? kindFromResourcetype(resourcetype) : 'files';
  const components = properties.find((p) => p.ns === NS.caldav && p.name === 'supported-calendar-component-set');
  const finalKind = kind === 'calendar' ? kindFromComponents(components) : kind;
  return makeCollection(request, reply, finalKind, collectionProps(finalKind, properties));
}

export async function mkcalendar(request: FastifyRequest, reply: FastifyReply, xmlLimit: number): Promise<FastifyReply> {
  const root = await readXmlBody(request, xmlLimit);
  if (root !== null && (root.ns !== NS.caldav || root.name !== 'mkcalendar')) {
    throw davError('bad-request', 'A MKCALENDAR body must be a CalDAV mkcalendar element.');
  }
  const properties = root ? propsToSet(root) : [];
  const kind = kindFromComponents(properties.find((p) => p.ns === NS.caldav && p.name === 'supported-calendar-component-set'));
  return makeCollection(request, reply, kind, collectionProps(kind, properties));
}
