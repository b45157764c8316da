// Builds and serialises DAV response XML. Every text and attribute value is escaped here,
// so a handler cannot emit markup by putting a client's string in a property. Namespaces
// get fixed prefixes (d:, card:, cal:, cs:, ical:) that clients' logs and tests read
// easily; any other namespace gets a generated one. No default namespace is ever
// declared, so an element in no namespace is simply written without a prefix.
import { NS, type XmlElement } from './xml-element.ts';

export interface XmlOut {
  ns: string;
  name: string;
  attributes?: Record<string, string>;
  children: Array<XmlOut | string>;
}

const FIXED_PREFIXES: Record<string, string> = {
  [NS.dav]: 'd',
  [NS.carddav]: 'card',
  [NS.caldav]: 'cal',
  [NS.calendarServer]: 'cs',
  [NS.apple]: 'ical',
  [NS.holdfast]: 'hf',
};

/** An element; children may be elements or text. */
export function el(ns: string, name: string, children: Array<XmlOut | string> = [], attributes?: Record<string, string>): XmlOut {
  return attributes ? { ns, name, children, attributes } : { ns, name, children };
}

export function dav(name: string, children: Array<XmlOut | string> = []): XmlOut {
  return el(NS.dav, name, children);
}

/** A parsed element back as output, keeping its mixed content in order. */
export function fromParsed(element: XmlElement): XmlOut {
  const children = element.content ?? [...(element.text === '' ? [] : [element.text]), ...element.children];
  return {
    ns: element.ns,
    name: element.name,
    attributes: element.attributes,
    children: children.map((child) => (typeof child === 'string' ? child : fromParsed(child))),
  };
}

export function escapeText(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** Characters XML 1.0 cannot carry at all; dropped rather than producing a broken document. */
const NOT_XML_CHAR = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

function collectNamespaces(node: XmlOut, into: Set<string>): void {
  if (node.ns !== '') into.add(node.ns);
  for (const key of Object.keys(node.attributes ?? {})) {
    const match = /^\{([^}]*)\}/.exec(key);
    if (match?.[1]) into.add(match[1]);
  }
  for (const child of node.children) if (typeof child !== 'string') collectNamespaces(child, into);
}

/** The element as a document fragment with every namespace it uses declared on it. */
export function serializeXml(root: XmlOut, options: { declaration?: boolean } = {}): string {
  const namespaces = new Set<string>();
  collectNamespaces(root, namespaces);
  const prefixes = new Map<string, string>();
  const used = new Set<string>();
  for (const ns of namespaces) {
    const fixed = FIXED_PREFIXES[ns];
    if (fixed) {
      prefixes.set(ns, fixed);
      used.add(fixed);
    }
  }
  let counter = 0;
  for (const ns of namespaces) {
    if (prefixes.has(ns)) continue;
    let prefix = `x${counter++}`;
    while (used.has(prefix)) prefix = `x${counter++}`;
    prefixes.set(ns, prefix);
    used.add(prefix);
  }
  const declarations = [...prefixes].map(([ns, prefix]) => ` xmlns:${prefix}="${escapeAttribute(ns)}"`).join('');

  const qualified = (ns: string, name: string): string => (ns === '' ? name : `${prefixes.get(ns) ?? ''}:${name}`);
  const parts: string[] = [];
  const write = (node: XmlOut, isRoot: boolean): void => {
    const tag = qualified(node.ns, node.name);
    parts.push(`<${tag}`);
    if (isRoot) parts.push(declarations);
    for (const [key, value] of Object.entries(node.attributes ?? {})) {
      const match = /^\{([^}]*)\}(.*)$/.exec(key);
      const name = match ? qualified(match[1] ?? '', match[2] ?? '') : key;
      parts.push(` ${name}="${escapeAttribute(value.replace(NOT_XML_CHAR, ''))}"`);
    }
    if (node.children.length === 0) {
      parts.push('/>');
      return;
    }
    parts.push('>');
    for (const child of node.children) {
      if (typeof child === 'string') parts.push(escapeText(child.replace(NOT_XML_CHAR, '')));
      else write(child, false);
    }
    parts.push(`</${tag}>`);
  };
  write(root, true);
  const body = parts.join('');
  return options.declaration ? `<?xml version="1.0" encoding="utf-8"?>\n${body}` : body;
}
