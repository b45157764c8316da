// What a PUT of a vCard must satisfy before it becomes a revision (RFC 6352 §5.1 and
// §6.3.2.1). Validation only reads: the server stores the bytes the client sent, byte
// for byte, because clients compare what they get back with what they sent and some
// (iOS, DAVx5) keep X- properties and property order that a re-serialisation would lose.

import type ICAL from 'ical.js';
import { decodeUtf8, parseComponents } from './parse-content.ts';

/** `normalized?: never` says in the type that validation never hands back rewritten bytes. */
export type VCardValidation =
  | { kind: 'valid'; uid: string; version: '3.0' | '4.0'; isGroup: boolean; normalized?: never }
  | { kind: 'invalid'; precondition: 'valid-address-data' | 'supported-address-data'; message: string };

export interface VCardValidationOptions {
  /**
   * Largest body accepted, in bytes. A sanity bound, not the collection's
   * max-resource-size (the DAV core checks that first): contact photos are sent inline as
   * base64, so this is generous.
   */
  maxBytes?: number;
}

export const DEFAULT_MAX_VCARD_BYTES = 8 * 1024 * 1024;

function invalid(message: string): VCardValidation {
  return { kind: 'invalid', precondition: 'valid-address-data', message };
}

function unsupportedVersion(version: string): VCardValidation {
  return {
    kind: 'invalid',
    precondition: 'supported-address-data',
    message: `vCard VERSION "${version}" is not supported; send vCard 3.0 (RFC 2426) or 4.0 (RFC 6350).`,
  };
}

function textValue(card: ICAL.Component, name: string): string | undefined {
  const property = card.getFirstProperty(name);
  if (!property) return undefined;
  const value: unknown = property.getFirstValue();
  return typeof value === 'string' ? value : undefined;
}

function nonEmpty(card: ICAL.Component, name: string): boolean {
  return card.getAllProperties(name).some((property) => {
    const values: unknown[] = property.getValues();
    return values.some((value) => (Array.isArray(value) ? value.some((part) => String(part).trim() !== '') : String(value).trim() !== ''));
  });
}

export function validateVCard(body: Buffer | string, options: VCardValidationOptions = {}): VCardValidation {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_VCARD_BYTES;
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size === 0) return invalid('the body is empty; send one vCard (BEGIN:VCARD … END:VCARD).');
  if (size > maxBytes) {
    return invalid(`the vCard is ${size} bytes, more than the ${maxBytes} accepted; shrink inline PHOTO or LOGO data.`);
  }
  const decoded = decodeUtf8(body);
  if (decoded.kind === 'invalid') return invalid(decoded.message);
  const parsed = parseComponents(decoded.text);
  if (parsed.kind === 'invalid') {
    // vCard 2.1 (old Android and Nokia exports) uses quoted-printable soft line breaks that
    // do not parse as 3.0/4.0 content lines; say which versions are accepted instead.
    if (/^VERSION:\s*2\.1\s*$/im.test(decoded.text)) return unsupportedVersion('2.1');
    return invalid(`the vCard cannot be parsed: ${parsed.message}`);
  }
  const { components } = parsed;
  if (components.length !== 1) {
    return invalid(
      `the body holds ${components.length} components; a CardDAV address object resource holds exactly one vCard (RFC 6352 §5.1). Send each contact as its own resource.`,
    );
  }
  const card = components[0]!;
  if (card.name !== 'vcard') {
    return { kind: 'invalid', precondition: 'supported-address-data', message: `the body is a ${card.name.toUpperCase()}, not a VCARD; an address book accepts text/vcard only.` };
  }
  if (card.getAllSubcomponents().length > 0) return invalid('the vCard contains a nested BEGIN/END block; vCards do not nest.');

  const versions = card.getAllProperties('version');
  if (versions.length !== 1) {
    return invalid(`the vCard has ${versions.length} VERSION properties; it needs exactly one (3.0 or 4.0).`);
  }
  const version = textValue(card, 'version')?.trim();
  if (version !== '3.0' && version !== '4.0') return unsupportedVersion(version ?? '');

  const uid = textValue(card, 'uid')?.trim();
  if (!uid) {
    return invalid('the vCard has no UID property; CardDAV requires one (RFC 6352 §5.1). Add a UID that stays the same for this contact.');
  }
  if (card.getAllProperties('uid').length > 1) return invalid('the vCard has more than one UID property; it needs exactly one.');

  if (version === '4.0' && !nonEmpty(card, 'fn')) {
    return invalid('the vCard 4.0 has no FN property, which RFC 6350 §6.2.1 requires; add the formatted name.');
  }
  // RFC 2426 requires both FN and N in 3.0. iOS, macOS and DAVx5 always send both, but
  // exporters of the 3.0 era (vCard files carried over from old phones and address books)
  // sometimes carry only N, and refusing such a card would leave the contact stranded on
  // the phone. A card with either name can be shown, so 3.0 needs one of them.
  if (version === '3.0' && !nonEmpty(card, 'fn') && !nonEmpty(card, 'n')) {
    return invalid('the vCard 3.0 has neither FN nor N; add FN (the formatted name) so the contact can be shown.');
  }

  return { kind: 'valid', uid, version, isGroup: isContactGroup(card) };
}

/**
 * Apple's contact groups are vCard 3.0 cards with X-ADDRESSBOOKSERVER-KIND:group and one
 * X-ADDRESSBOOKSERVER-MEMBER per member; vCard 4.0 spells it KIND:group with MEMBER.
 */
function isContactGroup(card: ICAL.Component): boolean {
  const kind = textValue(card, 'kind') ?? textValue(card, 'x-addressbookserver-kind');
  return kind?.trim().toLowerCase() === 'group';
}
