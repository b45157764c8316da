// What a PUT of a calendar object must satisfy before it becomes a revision: RFC 4791 §4.1
// (one UID per resource, one component type, no METHOD) and the preconditions of §5.3.2.1.
// Validation only reads; the stored bytes are the client's, unchanged.

import ICAL from 'ical.js';
import { decodeUtf8, parseComponents } from '../carddav/parse-content.ts';

export type CalendarComponentName = 'VEVENT' | 'VTODO' | 'VJOURNAL';

export type CalendarValidation =
  | { kind: 'valid'; uid: string; component: CalendarComponentName }
  | {
      kind: 'invalid';
      precondition: 'valid-calendar-data' | 'valid-calendar-object-resource' | 'supported-calendar-component' | 'supported-calendar-data';
      message: string;
    };

export interface CalendarValidationOptions {
  /** The collection's supported-calendar-component-set. */
  allowedComponents: CalendarComponentName[];
  /** Sanity bound on the body in bytes; the DAV core checks max-resource-size first. */
  maxBytes?: number;
}

export const DEFAULT_MAX_ICALENDAR_BYTES = 8 * 1024 * 1024;

type Invalid = Extract<CalendarValidation, { kind: 'invalid' }>;

const invalidData = (message: string): Invalid => ({ kind: 'invalid', precondition: 'valid-calendar-data', message });
const invalidResource = (message: string): Invalid => ({ kind: 'invalid', precondition: 'valid-calendar-object-resource', message });

/** Properties whose values are dates, times, durations or rules: decoded here so a bad one is refused now, not when a REPORT reads it. */
const typedProperties = ['dtstart', 'dtend', 'due', 'duration', 'recurrence-id', 'rrule', 'rdate', 'exdate', 'completed', 'created', 'dtstamp', 'last-modified', 'trigger'];

function checkValues(component: ICAL.Component): string | undefined {
  for (const name of typedProperties) {
    for (const property of component.getAllProperties(name)) {
      try {
        const raw: unknown[] = (property.jCal as unknown[]).slice(3);
        (property.getValues() as unknown[]).forEach((value, index) => {
          // ical.js rolls 30 February over to 1 March; a date that does not exist is an error,
          // seen by the decoded value no longer reading as what was written.
          if (value instanceof ICAL.Time && typeof raw[index] === 'string' && value.toString() !== raw[index]) {
            throw new Error(`${String(raw[index])} is not a real date`);
          }
        });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return `${component.name.toUpperCase()} has an unreadable ${name.toUpperCase()} value (${reason}); check its date, time or rule syntax.`;
      }
    }
  }
  for (const child of component.getAllSubcomponents()) {
    const problem = checkValues(child);
    if (problem) return problem;
  }
  return undefined;
}

function stringValue(component: ICAL.Component, name: string): string | undefined {
  const value: unknown = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : undefined;
}

/** Per-component rules from RFC 5545 §3.6 that a REPORT depends on. */
function checkComponent(component: ICAL.Component): Invalid | undefined {
  const name = component.name.toUpperCase();
  if (name === 'VEVENT' && !component.hasProperty('dtstart')) {
    // DTSTART is optional only in iTIP messages, which carry METHOD (RFC 5545 §3.6.1).
    return invalidData('a VEVENT has no DTSTART; events stored in a calendar need one.');
  }
  if (component.hasProperty('dtend') && component.hasProperty('duration')) {
    return invalidData(`a ${name} has both DTEND and DURATION; send one of them.`);
  }
  if (component.hasProperty('due') && component.hasProperty('duration')) {
    return invalidData('a VTODO has both DUE and DURATION; send one of them.');
  }
  if (component.hasProperty('duration') && !component.hasProperty('dtstart')) {
    return invalidData(`a ${name} has DURATION without DTSTART; DURATION needs a start.`);
  }
  if ((component.hasProperty('rrule') || component.hasProperty('rdate')) && !component.hasProperty('dtstart')) {
    return invalidData(`a recurring ${name} has no DTSTART; recurrence is counted from DTSTART.`);
  }
  return undefined;
}

export function validateICalendar(body: Buffer | string, options: CalendarValidationOptions): CalendarValidation {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ICALENDAR_BYTES;
  const size = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  if (size === 0) return invalidData('the body is empty; send one VCALENDAR (BEGIN:VCALENDAR … END:VCALENDAR).');
  if (size > maxBytes) return invalidData(`the calendar object is ${size} bytes, more than the ${maxBytes} accepted; shrink inline ATTACH data.`);
  const decoded = decodeUtf8(body);
  if (decoded.kind === 'invalid') return invalidData(decoded.message);
  const parsed = parseComponents(decoded.text);
  if (parsed.kind === 'invalid') return invalidData(`the iCalendar data cannot be parsed: ${parsed.message}`);
  if (parsed.components.length !== 1) {
    return invalidData(`the body holds ${parsed.components.length} top-level components; a calendar object resource is exactly one VCALENDAR.`);
  }
  const calendar = parsed.components[0]!;
  if (calendar.name !== 'vcalendar') {
    return {
      kind: 'invalid',
      precondition: 'supported-calendar-data',
      message: `the body is a ${calendar.name.toUpperCase()}, not a VCALENDAR; a calendar accepts text/calendar only.`,
    };
  }
  const version = stringValue(calendar, 'version')?.trim();
  if (version !== '2.0') {
    return {
      kind: 'invalid',
      precondition: 'supported-calendar-data',
      message: version === undefined ? 'the VCALENDAR has no VERSION; send VERSION:2.0 (RFC 5545).' : `iCalendar VERSION "${version}" is not supported; send VERSION:2.0 (RFC 5545).`,
    };
  }
  // PRODID is required by RFC 5545 but nothing reads it, so its absence is not refused.
  if (calendar.hasProperty('method')) {
    return invalidResource(
      'the VCALENDAR has a METHOD property, which calendar object resources must not carry (RFC 4791 §4.1); remove METHOD before storing an invitation or an exported .ics.',
    );
  }

  const problem = checkValues(calendar);
  if (problem) return invalidData(problem);

  for (const zone of calendar.getAllSubcomponents('vtimezone')) {
    if (!stringValue(zone, 'tzid')) return invalidData('a VTIMEZONE has no TZID; each time zone definition needs one.');
  }
  const components = calendar.getAllSubcomponents().filter((component) => component.name !== 'vtimezone');
  if (components.length === 0) return invalidResource('the VCALENDAR holds no VEVENT, VTODO or VJOURNAL; send the event, task or journal entry itself.');

  const names = new Set(components.map((component) => component.name.toUpperCase()));
  if (names.size > 1) {
    return invalidResource(`the VCALENDAR mixes ${[...names].join(' and ')}; a calendar object resource holds one component type (RFC 4791 §4.1). Store each as its own resource.`);
  }
  const name = [...names][0]!;
  if (name !== 'VEVENT' && name !== 'VTODO' && name !== 'VJOURNAL') {
    return { kind: 'invalid', precondition: 'supported-calendar-component', message: `${name} cannot be stored in a calendar; it holds VEVENT, VTODO or VJOURNAL.` };
  }
  if (!options.allowedComponents.includes(name)) {
    return {
      kind: 'invalid',
      precondition: 'supported-calendar-component',
      message: `this calendar accepts ${options.allowedComponents.join(', ') || 'no components'}, not ${name}; store it in a collection that supports ${name}.`,
    };
  }

  const uids = new Set<string>();
  for (const component of components) {
    const uid = stringValue(component, 'uid')?.trim();
    if (!uid) return invalidResource(`a ${name} has no UID; CalDAV requires one (RFC 4791 §4.1). Add a UID that stays the same for this ${name === 'VTODO' ? 'task' : 'event'}.`);
    uids.add(uid);
  }
  if (uids.size > 1) {
    return invalidResource(`the VCALENDAR holds ${uids.size} different UIDs; a calendar object resource holds one event or task and its overridden instances (RFC 4791 §4.1). Store each UID as its own resource.`);
  }

  let masters = 0;
  const recurrenceIds = new Set<string>();
  for (const component of components) {
    const invalid = checkComponent(component);
    if (invalid) return invalid;
    const recurrenceId = component.getFirstPropertyValue('recurrence-id');
    if (recurrenceId === null) masters++;
    else {
      const key = recurrenceId.toString();
      if (recurrenceIds.has(key)) return invalidResource(`two ${name}s override the same instance (RECURRENCE-ID ${key}); send one per instance.`);
      recurrenceIds.add(key);
    }
  }
  if (masters > 1) {
    return invalidResource(`the VCALENDAR holds ${masters} ${name}s without RECURRENCE-ID for one UID; only one can be the master, the others must name the instance they override.`);
  }
  return { kind: 'valid', uid: [...uids][0]!, component: name };
}
