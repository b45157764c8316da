// What a person is told when a write would take them over their quota, the same words over
// DAV and the JSON API: how much they use, their quota, and what to do about it.
import type { OverQuota } from './types.ts';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** "9.3 GiB", "512 bytes": a size a person reads at a glance (exact below 1 KiB). */
export function readableBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = value >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1);
  return `${shown} ${UNITS[unit] ?? 'PiB'}`;
}

export function overQuotaMessage(result: OverQuota): string {
  return (
    `This would take your storage over your quota: you use ${readableBytes(result.usedBytes)} of ${readableBytes(result.quotaBytes)} ` +
    `(${result.usedBytes} of ${result.quotaBytes} bytes). Nothing was stored. Make room by deleting files you no longer need ` +
    '(what you delete stays in the trash for a while but does not count), or ask the administrator to raise your quota ' +
    "('holdfast user quota')."
  );
}
