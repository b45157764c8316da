// The DAV benchmark's table: one column per address book size, and a last column with the
// ratio of the largest size's figure to the smallest's, read against how much the book grew.

export interface Timing {
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
}

export function timingOf(times: readonly number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
  return { runs: sorted.length, medianMs: median, minMs: sorted[0] ?? 0, maxMs: sorted[sorted.length - 1] ?? 0 };
}

export interface SizeColumn {
  contacts: number;
  /** Concurrent clients doing the PUTs. */
  clients: number;
  putsPerSecond: number;
  propfindDepth1: Timing;
  initialSync: Timing;
  oneChangeSync: Timing;
  multiget: Timing;
  bytes: { propfind: number; initialSync: number; multiget: number };
}

/** Below this ratio, the one-change sync counts as not growing with the address book. */
const FLAT_RATIO = 1.5;

export function formatTable(columns: readonly SizeColumn[]): string {
  const first = columns[0];
  const last = columns[columns.length - 1];
  if (!first || !last) return '';
  const grew = last.contacts / first.contacts;
  const ratioTitle = `${count(last.contacts)} ÷ ${count(first.contacts)}`;
  const timed = (title: string, pick: (column: SizeColumn) => Timing) => [
    title,
    ...columns.map((column) => formatTiming(pick(column))),
    ratio(pick(last).medianMs, pick(first).medianMs),
  ];
  const rows = [
    ['', ...columns.map((column) => `N = ${count(column.contacts)}`), ratioTitle],
    [`PUT/s (${first.clients} clients, If-None-Match: *)`, ...columns.map((column) => column.putsPerSecond.toFixed(0)), ratio(last.putsPerSecond, first.putsPerSecond)],
    timed('PROPFIND Depth 1 (getetag, getcontenttype)', (column) => column.propfindDepth1),
    timed('sync-collection, initial (getetag)', (column) => column.initialSync),
    timed('sync-collection, one change', (column) => column.oneChangeSync),
    timed('addressbook-multiget, 500 with address-data', (column) => column.multiget),
  ];
  // With one size there is nothing to divide by: drop the ratio column.
  if (columns.length < 2) for (const row of rows) row.pop();
  const widths = rows[0]?.map((_, index) => Math.max(...rows.map((row) => row[index]?.length ?? 0))) ?? [];
  const format = (row: readonly string[]) => row.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] ?? 0) : cell.padStart(widths[index] ?? 0))).join('   ');
  const oneChange = last.oneChangeSync.medianMs / first.oneChangeSync.medianMs;
  const verdict =
    columns.length < 2
      ? 'one size only: pass --sizes with two or more to see whether the one-change sync grows'
      : oneChange <= FLAT_RATIO
        ? `the one-change sync-collection stays flat: ${oneChange.toFixed(2)}x for a ${count(grew)}x larger address book (it should stay near 1)`
        : `THE ONE-CHANGE SYNC-COLLECTION GROWS WITH THE ADDRESS BOOK: ${oneChange.toFixed(2)}x for a ${count(grew)}x larger one (it should stay near 1)`;
  return [
    format(rows[0] ?? []),
    ...rows.slice(1).map(format),
    '',
    `Times are ms from request to the last byte of the answer: median of ${first.propfindDepth1.runs} runs (min–max).`,
    ...(columns.length < 2
      ? []
      : [
          `The address book grows ${count(grew)}x. PROPFIND Depth 1 and the initial sync answer every contact, so a ratio`,
          `near ${count(grew)} is linear in its size; the multiget answers 500 contacts and the one-change sync one, at every size,`,
          'so both should stay near 1. PUT/s is a rate: higher is better.',
        ]),
    `Answer sizes at N = ${count(last.contacts)}: PROPFIND ${kib(last.bytes.propfind)}, initial sync ${kib(last.bytes.initialSync)}, multiget ${kib(last.bytes.multiget)}.`,
    '',
    verdict,
  ].join('\n');
}

function formatTiming(timing: Timing): string {
  return `${ms(timing.medianMs)} ms (${ms(timing.minMs)}–${ms(timing.maxMs)})`;
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const count = (value: number): string => value.toLocaleString('en-GB', { maximumFractionDigits: 1 });
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
const ratio = (a: number, b: number): string => (b === 0 ? '–' : `${(a / b).toFixed(2)}x`);
