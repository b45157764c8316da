// PROPPATCH (RFC 4918 §9.2): sets and removes, in document order, all or nothing. Every
// instruction is checked before anything is written; if one fails, it is answered with its
// own status and every other with 424 Failed Dependency, and the store is not touched.
// What passes is written in one store call, so it lands whole or not at all.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { COLLECTION_TEXT_LIMITS as MAX_TEXT, type CollectionPropsPatch } from '../../store/types.ts';
import { davError } from './dav-errors.ts';
import { davContext, existing, requestPath, type DavResource } from './dav-resources.ts';
import { guardWrite } from './locks/write-guard.ts';
import { propstatResponse, sendMultistatus } from './multistatus.ts';
import { clarkName, displayPropOf, isProtected, type PropertyName } from './properties.ts';
import { readXmlBody } from './request-body.ts';
import { NS, type XmlElement } from './xml/xml-element.ts';
import { el, fromParsed, serializeXml, type XmlOut } from './xml/write-xml.ts';

/** Dead property values are kept whole in the store; past this they are refused. */
export const MAX_DEAD_PROPERTY_BYTES = 64 * 1024;

interface Instruction {
  action: 'set' | 'remove';
  property: PropertyName;
  element: XmlElement;
}

function parsePropertyUpdate(root: XmlElement | null): Instruction[] {
  if (root === null || root.ns !== NS.dav || root.name !== 'propertyupdate') {
    throw davError('bad-request', 'A PROPPATCH body must be a DAV: propertyupdate element holding set and remove instructions.');
  }
  const instructions: Instruction[] = [];
  for (const child of root.children) {
    if (child.ns !== NS.dav || (child.name !== 'set' && child.name !== 'remove')) continue;
    for (const prop of child.children.filter((c) => c.ns === NS.dav && c.name === 'prop')) {
      for (const element of prop.children) instructions.push({ action: child.name, property: { ns: element.ns, name: element.name }, element });
    }
  }
  if (instructions.length === 0) throw davError('bad-request', 'The PROPPATCH body names no property to set or remove.');
  return instructions;
}

type Check = { ok: true } | { ok: false; status: number; reason: string };

function check(instruction: Instruction, resource: DavResource): Check {
  const { property, action } = instruction;
  if (resource.kind !== 'collection' && resource.kind !== 'item') {
    return { ok: false, status: 403, reason: 'Properties can be set only on collections and the items in them.' };
  }
  if (isProtected(property, resource)) return { ok: false, status: 403, reason: `{${property.ns}}${property.name} is computed by the server and cannot be changed.` };
  const display = resource.kind === 'collection' ? displayPropOf(property, resource.collection) : null;
  if (display === 'order') {
    if (action === 'set' && !/^-?\d{1,9}$/.test(instruction.element.text.trim())) {
      return { ok: false, status: 409, reason: 'calendar-order must be a whole number.' };
    }
  } else if (display && action === 'set' && instruction.element.text.length > MAX_TEXT[display]) {
    return { ok: false, status: 409, reason: `The value is longer than ${MAX_TEXT[display]} characters.` };
  } else if (!display && action === 'set' && Buffer.byteLength(serializeXml(fromParsed(instruction.element))) > MAX_DEAD_PROPERTY_BYTES) {
    return { ok: false, status: 409, reason: `The value is larger than ${MAX_DEAD_PROPERTY_BYTES} bytes.` };
  }
  return { ok: true };
}

export async function proppatch(request: FastifyRequest, reply: FastifyReply, xmlLimit: number): Promise<FastifyReply> {
  const context = davContext(request);
  await guardWrite(request, [{ path: requestPath(request), effect: 'modify' }]);
  const instructions = parsePropertyUpdate(await readXmlBody(request, xmlLimit));
  const resource = await existing(context, requestPath(request));

  const checks = instructions.map((instruction) => check(instruction, resource));
  const byStatus = new Map<number, XmlOut[]>();
  const add = (status: number, property: PropertyName): void => {
    const key = clarkName(property);
    const list = byStatus.get(status) ?? [];
    if (![...byStatus.values()].flat().some((x) => `{${x.ns}}${x.name}` === key)) list.push(el(property.ns, property.name));
    byStatus.set(status, list);
  };
  const failures = checks.filter((c): c is Extract<Check, { ok: false }> => !c.ok);
  if (failures.length > 0) {
    instructions.forEach((instruction, index) => {
      const result = checks[index];
      if (result && !result.ok) add(result.status, instruction.property);
    });
    instructions.forEach((instruction) => add(424, instruction.property));
    return sendMultistatus(reply, [propstatResponse(resource.href, byStatus, failures.map((f) => f.reason).join(' '))]);
  }

  await apply(context.userStore, resource, instructions);
  for (const instruction of instructions) add(200, instruction.property);
  request.log.info({ href: resource.href, properties: instructions.length }, 'properties changed');
  return sendMultistatus(reply, [propstatResponse(resource.href, byStatus)]);
}

async function apply(userStore: ReturnType<typeof davContext>['userStore'], resource: DavResource, instructions: Instruction[]): Promise<void> {
  // Later instructions win: PROPPATCH is processed in document order.
  // null removes, in the store as here.
  const dead: Record<string, string | null> = {};
  const display: CollectionPropsPatch = {};
  for (const { action, property, element } of instructions) {
    const key = resource.kind === 'collection' ? displayPropOf(property, resource.collection) : null;
    if (key === 'order') display.order = action === 'set' ? Number(element.text.trim()) : null;
    else if (key) display[key] = action === 'set' ? element.text : null;
    else dead[clarkName(property)] = action === 'set' ? serializeXml(fromParsed(element)) : null;
  }

  if (resource.kind === 'collection') {
    const result = await userStore.updateCollection(resource.collection.path, { ...display, ...(Object.keys(dead).length > 0 ? { extra: dead } : {}) });
    if (result.kind !== 'changed') throw davError('not-found', 'The collection was deleted or moved while its properties were being changed; nothing was changed.');
    return;
  }
  if (resource.kind === 'item') {
    const result = await userStore.setItemProps(resource.collection.path, resource.item.name, dead);
    if (result.kind !== 'changed') throw davError('not-found', 'The item was deleted while its properties were being changed; nothing was changed.');
  }
}
