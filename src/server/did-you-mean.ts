// Suggests the setting someone probably meant when they typed one that does not exist.

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest of `names` to `typed` (ignoring case, dashes and underscores), if it is
 * close enough to be a likely typo. */
export function closestName(typed: string, names: readonly string[], maxDistance = 2): string | undefined {
  const simplify = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(simplify(typed), simplify(name));
    if (distance <= maxDistance && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}
