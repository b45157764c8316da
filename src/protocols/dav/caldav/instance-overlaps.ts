// RFC 4791 §9.9: whether one instance of a recurrence set overlaps a time range. One rule
// for calendar-query's time-range filter and for expand, so both agree on every instance.
import { timeProperty } from './epoch-time.ts';
import type { ZoneOptions } from './epoch-time.ts';
import type { Instance } from './occurrences.ts';
import { overlaps } from './time-range.ts';
import type { TimeRange } from './time-range.ts';

export function instanceOverlaps(range: TimeRange, instance: Instance, options: ZoneOptions): boolean {
  if (instance.component.name === 'vtodo') return todoOverlaps(range, instance, options);
  // VEVENT and VJOURNAL: the instance's span, or its instant when it has no length (a
  // VJOURNAL without DTSTART overlaps no range, RFC 4791 §9.9). A VEVENT whose DTEND equals
  // its DTSTART is an instant too, so it is found by a range that starts at it.
  return instance.start !== undefined && overlaps(range, instance.start, instance.end ?? instance.start);
}

/** RFC 4791 §9.9's table for VTODO, for one instance. */
function todoOverlaps(range: TimeRange, instance: Instance, options: ZoneOptions): boolean {
  const { start: s, end: e } = range;
  const { start: dtstart, due } = instance;
  if (dtstart !== undefined && instance.component.hasProperty('duration') && instance.end !== undefined) {
    return s <= instance.end && (e > dtstart || e >= instance.end);
  }
  if (dtstart !== undefined && due !== undefined) return (s < due || s <= dtstart) && (e > dtstart || e >= due);
  if (dtstart !== undefined) return s <= dtstart && e > dtstart;
  if (due !== undefined) return s < due && e >= due;
  const completed = timeProperty(instance.component, 'completed', options)?.ms;
  const created = timeProperty(instance.component, 'created', options)?.ms;
  if (completed !== undefined && created !== undefined) return (s <= created || s <= completed) && (e >= created || e >= completed);
  if (completed !== undefined) return s <= completed && e >= completed;
  if (created !== undefined) return e > created;
  return true;
}
