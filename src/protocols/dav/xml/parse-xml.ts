// Parses a DAV request body into XmlElements, refusing anything that could make the server
// do more than read a small document: no DOCTYPE at all (so no DTD, no external entities,
// no entity-expansion bombs), and limits on size, nesting depth and element count. A body
// that breaks a rule is an `invalid` result with a message a person can act on, never an
// exception.
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { XmlElement } from './xml-element.ts';

export interface XmlLimits {
  maxBytes?: number;
  maxDepth?: number;
  maxElements?: number;
}

export type ParseXmlResult = { kind: 'ok'; root: XmlElement } | { kind: 'invalid'; message: string };

export const DEFAULT_XML_LIMITS = { maxBytes: 1024 * 1024, maxDepth: 64, maxElements: 20_000 } as const;

/** Thrown inside saxes handlers to stop parsing; caught below, never escapes. */
class StopParsing extends Error {}

export function parseXml(body: Buffer | string, options: XmlLimits = {}): ParseXmlResult {
  const maxBytes = options.maxBytes ?? DEFAULT_XML_LIMITS.maxBytes;
  const maxDepth = options.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  const maxElements = options.maxElements ?? DEFAULT_XML_LIMITS.maxElements;

  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size > maxBytes) return invalid(`the XML request body is ${size} bytes, more than the limit of ${maxBytes}`);
  if (size === 0) return invalid('the request body is empty where an XML document was expected');
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  if (text === null) return invalid('the request body is not valid UTF-8 (XML request bodies must be UTF-8)');

  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  let elements = 0;
  let failure: string | null = null;

  const stop = (message: string): never => {
    failure ??= message;
    throw new StopParsing(message);
  };
  const where = (): string => `line ${parser.line}, column ${parser.column + 1}`;

  parser.on('doctype', () => {
    stop(`a DOCTYPE was found at ${where()}; DAV request bodies must not declare a DTD or entities`);
  });
  parser.on('error', (error: Error) => {
    // saxes prefixes its messages with "line:column: "; say it in words instead.
    stop(`the request body is not well-formed XML at ${where()}: ${error.message.replace(/^\d+:\d+: /, '')}`);
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    elements += 1;
    if (elements > maxElements) stop(`the XML request body has more than ${maxElements} elements`);
    if (stack.length + 1 > maxDepth) stop(`the XML request body nests elements deeper than ${maxDepth} levels`);
    const element: XmlElement = { ns: tag.uri, name: tag.local, attributes: attributesOf(tag), children: [], text: '', content: [] };
    const parent = stack[stack.length - 1];
    if (parent) {
      parent.children.push(element);
      parent.content?.push(element);
    } else {
      root = element;
    }
    stack.push(element);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (value: string): void => {
    const current = stack[stack.length - 1];
    if (!current) return; // whitespace around the root element
    current.text += value;
    const last = current.content?.[current.content.length - 1];
    if (typeof last === 'string' && current.content) current.content[current.content.length - 1] = last + value;
    else current.content?.push(value);
  };
  parser.on('text', addText);
  parser.on('cdata', addText);

  try {
    parser.write(text).close();
  } catch (error) {
    if (!(error instanceof StopParsing)) throw error;
  }
  if (failure !== null) return invalid(failure);
  if (root === null) return invalid('the request body holds no XML element');
  return { kind: 'ok', root };
}

function attributesOf(tag: SaxesTagNS): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const attribute of Object.values(tag.attributes)) {
    // Namespace declarations are resolved into `ns`; they are not attributes of the element.
    if (attribute.prefix === 'xmlns' || attribute.name === 'xmlns') continue;
    attributes[attribute.uri === '' ? attribute.local : `{${attribute.uri}}${attribute.local}`] = attribute.value;
  }
  return attributes;
}

function decodeUtf8(bytes: Buffer): string | null {
  try {
    // A byte-order mark is allowed before the XML declaration; saxes does not expect it.
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

function invalid(message: string): ParseXmlResult {
  return { kind: 'invalid', message };
}
