// Builds the parsed-XML values the DAV core hands to the filter parsers, so filter tests
// can state a REPORT body compactly.
import { NS, type XmlElement } from '../../src/protocols/dav/xml/xml-element.ts';

type Children = XmlElement[] | string;

function element(ns: string, name: string, attributes: Record<string, string> = {}, children: Children = []): XmlElement {
  return typeof children === 'string'
    ? { ns, name, attributes, children: [], text: children }
    : { ns, name, attributes, children, text: '' };
}

/** An element in the CardDAV namespace. */
export const card = (name: string, attributes?: Record<string, string>, children?: Children): XmlElement =>
  element(NS.carddav, name, attributes, children);

/** An element in the CalDAV namespace. */
export const cal = (name: string, attributes?: Record<string, string>, children?: Children): XmlElement =>
  element(NS.caldav, name, attributes, children);

/** An element in the DAV: namespace. */
export const dav = (name: string, attributes?: Record<string, string>, children?: Children): XmlElement =>
  element(NS.dav, name, attributes, children);
