// Collection display properties on the device: applying and combining patches with the
// server's meaning (a value sets, null removes, an absent key leaves), and the server's limits,
// checked before a change is stored so the device never queues one the server would refuse.
import type { ReplicaCollectionProps, ReplicaCollectionPropsPatch } from './replica.ts';

const TEXT_LIMITS = { displayName: 255, description: 4096, color: 64 } as const;
const MAX_EXTRA = 100;

/** Why the server would refuse this patch, or undefined when it would take it. */
export function collectionPatchProblem(patch: ReplicaCollectionPropsPatch): string | undefined {
  for (const [key, limit] of Object.entries(TEXT_LIMITS) as [keyof typeof TEXT_LIMITS, number][]) {
    const value = patch[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') return `${key} must be a string or null`;
    if (value.length > limit) return `${key} must be at most ${limit} characters (it has ${value.length})`;
  }
  const order = patch.order;
  if (order !== undefined && order !== null && (!Number.isInteger(order) || Math.abs(order) > 999_999_999)) {
    return 'order must be a whole number between -999999999 and 999999999';
  }
  const extra = patch.extra ?? {};
  if (Object.keys(extra).length > MAX_EXTRA) return `extra may hold at most ${MAX_EXTRA} properties`;
  for (const [key, value] of Object.entries(extra)) {
    if (key.length === 0 || key.length > 512) return 'an extra property name must be 1 to 512 characters';
    if (value !== null && (typeof value !== 'string' || value.length > 64 * 1024)) return `extra property ${key} must be a string of at most 65536 characters, or null`;
  }
  const known = new Set(['displayName', 'description', 'color', 'order', 'extra']);
  const unknown = Object.keys(patch).filter((key) => !known.has(key));
  if (unknown.length > 0) return `unknown propert${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}: use displayName, description, color, order or extra`;
  return undefined;
}

/** The properties after a patch. */
export function applyCollectionPatch(props: ReplicaCollectionProps, patch: ReplicaCollectionPropsPatch): ReplicaCollectionProps {
  const next: Record<string, unknown> = { ...props };
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'extra' || value === undefined) continue;
    if (value === null) delete next[key];
    else next[key] = value;
  }
  if (patch.extra !== undefined) {
    const extra: Record<string, string> = { ...props.extra };
    for (const [key, value] of Object.entries(patch.extra)) {
      if (value === null) delete extra[key];
      else extra[key] = value;
    }
    if (Object.keys(extra).length > 0) next.extra = extra;
    else delete next.extra;
  }
  return next;
}

/** One patch with the effect of `first` then `second`. */
export function combineCollectionPatches(first: ReplicaCollectionPropsPatch, second: ReplicaCollectionPropsPatch): ReplicaCollectionPropsPatch {
  const combined: Record<string, unknown> = { ...first };
  for (const [key, value] of Object.entries(second)) if (key !== 'extra' && value !== undefined) combined[key] = value;
  if (first.extra !== undefined || second.extra !== undefined) combined.extra = { ...first.extra, ...second.extra };
  return combined;
}

/** The properties as a patch that sets each of them (a heal's "fill in what you lack"). */
export function propsAsPatch(props: ReplicaCollectionProps): ReplicaCollectionPropsPatch {
  return { ...props, ...(props.extra ? { extra: { ...props.extra } } : {}) };
}

// Key order does not matter: two patches are the same when they set and remove the same things.
function canonical(value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, inner]) => inner !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, inner]) => [key, canonical(inner)]),
    );
  }
  return value;
}

export function samePatch(a: ReplicaCollectionPropsPatch | null, b: ReplicaCollectionPropsPatch | null): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
