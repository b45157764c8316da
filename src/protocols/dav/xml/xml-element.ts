// A parsed XML element with its namespace resolved: what the DAV handlers and the CardDAV
// and CalDAV filters read. Built by ./parse-xml.ts from a request body.

export interface XmlElement {
  /** The namespace URI ('DAV:', 'urn:ietf:params:xml:ns:carddav', …); '' for none. */
  ns: string;
  /** The local name, without prefix. */
  name: string;
  /** Attributes by local name (namespaced attributes as `{uri}name`). */
  attributes: Record<string, string>;
  children: XmlElement[];
  /** The element's own text content (concatenated text and CDATA, not the children's). */
  text: string;
  /** Text and child elements in document order, where mixed content matters (a dead
   * property's value is kept verbatim). Set by parseXml; optional for hand-made elements. */
  content?: Array<XmlElement | string>;
}

export const NS = {
  dav: 'DAV:',
  carddav: 'urn:ietf:params:xml:ns:carddav',
  caldav: 'urn:ietf:params:xml:ns:caldav',
  calendarServer: 'http://calendarserver.org/ns/',
  apple: 'http://apple.com/ns/ical/',
  /** Holdfast's own: the readable message inside a DAV error body. */
  holdfast: 'urn:holdfast',
} as const;

/** The first child with this namespace and local name, or undefined. */
export function childElement(element: XmlElement, ns: string, name: string): XmlElement | undefined {
  return element.children.find((child) => child.ns === ns && child.name === name);
}

/** Every child with this namespace and local name. */
export function childElements(element: XmlElement, ns: string, name: string): XmlElement[] {
  return element.children.filter((child) => child.ns === ns && child.name === name);
}
