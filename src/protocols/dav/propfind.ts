// PROPFIND (RFC 4918 §9.1): `prop`, `allprop` (with `include`), `propname`; an empty body
// is `allprop`. Depth 0 and 1; Depth infinity is refused with propfind-finite-depth.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_COLLECTIONS } from '../../store/default-collections.ts';
import type { Collection } from '../../store/types.ts';
import { davError } from './dav-errors.ts';
import { hrefs } from './dav-paths.ts';
import { davContext, existing, requestPath, type DavContext, type DavResource } from './dav-resources.ts';
import { propstatResponse, sendMultistatus } from './multistatus.ts';
import { propertyContext, propertyNames, propertyValue, type PropertyContext, type PropertyName } from './properties.ts';
import { readXmlBody } from './request-body.ts';
import { depthOf } from './request-headers.ts';
import { NS, childElement, type XmlElement } from './xml/xml-element.ts';
import { el, type XmlOut } from './xml/write-xml.ts';

type PropfindRequest = { kind: 'allprop'; include: PropertyName[] } | { kind: 'propname' } | { kind: 'prop'; names: PropertyName[] };

export function parsePropfind(root: XmlElement | null): PropfindRequest {
  if (root === null) return { kind: 'allprop', include: [] };
  if (root.ns !== NS.dav || root.name !== 'propfind') {
    throw davError('bad-request', `A PROPFIND body must be a DAV: propfind element, not {${root.ns}}${root.name}.`);
  }
  // Unknown children are ignored (RFC 4918 §17: extensibility); litmus's "propextended" sends one.
  const prop = childElement(root, NS.dav, 'prop');
  if (prop) return { kind: 'prop', names: prop.children.map(({ ns, name }) => ({ ns, name })) };
  if (childElement(root, NS.dav, 'propname')) return { kind: 'propname' };
  if (childElement(root, NS.dav, 'allprop')) {
    const include = childElement(root, NS.dav, 'include');
    return { kind: 'allprop', include: include ? include.children.map(({ ns, name }) => ({ ns, name })) : [] };
  }
  throw davError('bad-request', 'A PROPFIND body must hold one of prop, allprop or propname.');
}

/** The resources a Depth 1 PROPFIND lists under this one. */
export async function childrenOf(context: DavContext, resource: DavResource): Promise<DavResource[]> {
  const { userStore, user } = context;
  switch (resource.kind) {
    case 'root':
      return [{ kind: 'home', href: hrefs.home(user.name) }];
    case 'home': {
      const collections = homeOrder(await userStore.listCollections({ parent: null }));
      return collections.map((collection) => ({ kind: 'collection', href: hrefs.collection(user.name, collection.path), collection }));
    }
    case 'collection': {
      const path = resource.collection.path;
      const [collections, items] = await Promise.all([userStore.listCollections({ parent: path }), userStore.listItems(path)]);
      return [
        ...collections.map((collection): DavResource => ({ kind: 'collection', href: hrefs.collection(user.name, collection.path), collection })),
        ...(items ?? []).map((item): DavResource => ({ kind: 'item', href: hrefs.item(user.name, path, item.name), collection: resource.collection, item })),
      ];
    }
    case 'principal':
    case 'item':
      return [];
  }
}

async function describe(resource: DavResource, ask: PropfindRequest, context: PropertyContext): Promise<XmlOut> {
  const byStatus = new Map<number, XmlOut[]>();
  const add = (status: number, xml: XmlOut): void => {
    byStatus.set(status, [...(byStatus.get(status) ?? []), xml]);
  };
  if (ask.kind === 'propname') {
    for (const name of propertyNames(resource, 'all')) add(200, el(name.ns, name.name));
  } else {
    const names = ask.kind === 'prop' ? ask.names : [...propertyNames(resource, 'allprop'), ...ask.include];
    const seen = new Set<string>();
    for (const name of names) {
      const key = `{${name.ns}}${name.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const value = await propertyValue(name, resource, context);
      if (value) add(200, value);
      // allprop lists only what exists; a named property that does not is a 404.
      else if (ask.kind === 'prop' || ask.include.some((n) => n.ns === name.ns && n.name === name.name)) add(404, el(name.ns, name.name));
    }
  }
  if (byStatus.size === 0) byStatus.set(200, []);
  return propstatResponse(resource.href, byStatus);
}

export async function propfind(request: FastifyRequest, reply: FastifyReply, xmlLimit: number): Promise<FastifyReply> {
  const context = davContext(request);
  // RFC 4918 says a PROPFIND without Depth means infinity, but litmus (neon) sends its
  // "well-formed response" PROPFINDs without one and expects a 207: answer those as Depth 1.
  const depth = depthOf(request, 1);
  if (depth === 'infinity') {
    throw davError('propfind-finite-depth', 'PROPFIND with Depth: infinity is not supported; use Depth: 0 or 1 and walk the collections.');
  }
  const ask = parsePropfind(await readXmlBody(request, xmlLimit));
  const resource = await existing(context, requestPath(request));
  const resources = depth === 1 ? [resource, ...(await childrenOf(context, resource))] : [resource];
  const properties = propertyContext(context);
  const responses: XmlOut[] = [];
  for (const each of resources) responses.push(await describe(each, ask, properties));
  return sendMultistatus(reply, responses);
}

/** macOS Contacts shows only the first address book it finds in the home, so the default
 * collections come first, in their own order (address book, calendar, task list), and the
 * user's others follow by name. */
function homeOrder(collections: Collection[]): Collection[] {
  const rank = (collection: Collection): number => {
    const index = DEFAULT_COLLECTIONS.findIndex((d) => d.name === collection.name && d.kind === collection.kind);
    return index === -1 ? DEFAULT_COLLECTIONS.length : index;
  };
  return [...collections].sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
