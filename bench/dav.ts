// The DAV benchmark: a real Holdfast server (`holdfast serve` in a child process, a real
// store on disk) spoken to over HTTP on 127.0.0.1 as CardDAV clients speak to it. For each
// size N it loads N contacts into one address book, then times what a phone's sync does:
//
//   npm run bench:dav -- [--dir DIR] [--sizes 1000,10000] [--runs 15] [--json]
//
// --dir picks the disk (a temporary directory inside DIR, removed afterwards; default the
// system temp directory); --sizes the address book sizes, each in a new store; --runs how
// many times each read is timed (median, min and max are printed); --json adds one line of
// JSON after the table, for scripts. The headline is the last column: the figure at the
// largest size ÷ the figure at the smallest. A sync-collection that returns one change must
// not grow with the address book, so its ratio should stay near 1.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchServer, type BenchServer } from './dav-server.ts';
import {
  benchVCard,
  itemName,
  MKCOL_ADDRESS_BOOK,
  multigetBody,
  multistatusEntries,
  PROPFIND_ETAG_TYPE,
  syncCollectionBody,
  syncTokenIn,
  timedRequest,
} from './dav-requests.ts';
import { formatTable, type SizeColumn, type Timing, timingOf } from './dav-table.ts';

const CLIENTS = 8;
const MULTIGET_HREFS = 500;
const WARM_UP_PUTS = 500;

interface SizeResult {
  contacts: number;
  load: { seconds: number; putsPerSecond: number; p50Ms: number; p99Ms: number };
  propfindDepth1: Timing;
  initialSync: Timing;
  oneChangeSync: Timing;
  multiget: Timing;
  /** Bytes of one answer, to read the times against. */
  propfindBytes: number;
  initialSyncBytes: number;
  multigetBytes: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, sizes: { type: 'string' }, runs: { type: 'string' }, json: { type: 'boolean' } },
    strict: true,
  });
  const sizes = (values.sizes ?? '1000,10000').split(',').map((size) => Number(size.trim()));
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 1)) {
    throw new RangeError(`--sizes takes whole numbers separated by commas, got ${values.sizes}`);
  }
  const runs = values.runs === undefined ? 15 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs takes a positive whole number, got ${values.runs}`);
  const workDir = await mkdtemp(join(resolve(values.dir ?? tmpdir()), 'holdfast-bench-dav-'));
  const loadAtStart = loadAverage();
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`;
  try {
    console.log(`DAV benchmark in ${workDir}: sizes ${sizes.join(', ')}, ${runs} timed runs of each read, ${machine}, load average ${loadAtStart}`);
    const results: SizeResult[] = [];
    for (const size of sizes) results.push(await measureSize(join(workDir, `data-${size}`), size, runs));
    console.log(`\n${formatTable(results.map(tableColumn))}`);
    // Other work on the machine shows in the spread of the runs; the load says how much there was.
    const load = loadAverage();
    console.log(`load average at the end: ${load} (${cpus().length} CPUs); at the start it was ${loadAtStart}`);
    if (values.json) console.log(JSON.stringify({ dir: workDir, runs, clients: CLIENTS, machine, loadAtStart, loadAtEnd: load, sizes: results }));
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function measureSize(dataDir: string, contacts: number, runs: number): Promise<SizeResult> {
  console.log(`\nN = ${contacts}: starting holdfast serve on ${dataDir}`);
  const server = await startBenchServer(dataDir);
  try {
    const book = `/dav/${server.userName}/contacts/`;
    // A fresh server process: warm it up on another address book, so the JIT's first work
    // is not charged to the smaller size's PUT rate.
    const warmUpBook = `/dav/${server.userName}/warm-up/`;
    expectStatus(await timedRequest(server, 'MKCOL', warmUpBook, { headers: { 'content-type': 'application/xml' }, body: MKCOL_ADDRESS_BOOK }), 201, 'MKCOL of the warm-up address book');
    await loadContacts(server, warmUpBook, WARM_UP_PUTS);
    const load = await loadContacts(server, book, contacts);
    console.log(`  loaded ${contacts} contacts in ${load.seconds.toFixed(1)} s: ${load.putsPerSecond.toFixed(0)} PUT/s`);

    const propfind = () => timedRequest(server, 'PROPFIND', book, { headers: { depth: '1', 'content-type': 'application/xml' }, body: PROPFIND_ETAG_TYPE });
    const sync = (token: string) => timedRequest(server, 'REPORT', book, { headers: { depth: '1', 'content-type': 'application/xml' }, body: syncCollectionBody(token) });
    const hrefs = Array.from({ length: Math.min(MULTIGET_HREFS, contacts) }, (_, i) => `${book}${itemName(Math.floor((i * contacts) / Math.min(MULTIGET_HREFS, contacts)))}`);
    const multiget = () => timedRequest(server, 'REPORT', book, { headers: { depth: '1', 'content-type': 'application/xml' }, body: multigetBody(hrefs) });

    // One untimed round first, so the first timed run does not pay for cold caches alone.
    await Promise.all([propfind(), sync(''), multiget()].map(async (request) => expectStatus(await request, 207, 'warm-up')));

    const propfinds = await repeat(runs, async () => {
      const answer = expectStatus(await propfind(), 207, 'PROPFIND Depth 1');
      const entries = multistatusEntries(answer.text);
      check(entries.length === contacts + 1, `PROPFIND Depth 1 returned ${entries.length} responses, not the book and its ${contacts} contacts`);
      check(entries.every((entry) => entry.status === 200 || entry.href === book), 'PROPFIND Depth 1 returned a contact without its properties');
      return answer;
    });

    const initialSyncs = await repeat(runs, async () => {
      const answer = expectStatus(await sync(''), 207, 'initial sync-collection');
      const entries = multistatusEntries(answer.text);
      check(entries.length === contacts && entries.every((entry) => entry.status === 200), `the initial sync-collection returned ${entries.length} members, not ${contacts}`);
      return answer;
    });

    // Each run changes one contact, then syncs from the token the previous sync gave.
    let token = syncTokenIn(initialSyncs.last.text);
    const oneChangeSyncs = await repeat(runs, async (run) => {
      const index = Math.floor(((run + 0.5) * contacts) / runs);
      const put = await timedRequest(server, 'PUT', `${book}${itemName(index)}`, { headers: { 'content-type': 'text/vcard; charset=utf-8' }, body: benchVCard(index, run + 1) });
      expectStatus(put, 204, `PUT of a changed contact`);
      const answer = expectStatus(await sync(token), 207, 'sync-collection after one change');
      const entries = multistatusEntries(answer.text);
      check(entries.length === 1 && entries[0]?.href === `${book}${itemName(index)}`, `the sync after one change returned ${entries.length} responses: ${entries.map((e) => e.href).join(', ')}`);
      token = syncTokenIn(answer.text);
      return answer;
    });

    const multigets = await repeat(runs, async () => {
      const answer = expectStatus(await multiget(), 207, 'addressbook-multiget');
      const entries = multistatusEntries(answer.text);
      check(entries.length === hrefs.length && entries.every((entry) => entry.status === 200 && entry.hasAddressData), `addressbook-multiget returned ${entries.length} of ${hrefs.length} contacts with their data`);
      return answer;
    });

    return {
      contacts,
      load,
      propfindDepth1: propfinds.timing,
      initialSync: initialSyncs.timing,
      oneChangeSync: oneChangeSyncs.timing,
      multiget: multigets.timing,
      propfindBytes: Buffer.byteLength(propfinds.last.text),
      initialSyncBytes: Buffer.byteLength(initialSyncs.last.text),
      multigetBytes: Buffer.byteLength(multigets.last.text),
    };
  } finally {
    await server.stop();
  }
}

/** N contacts by CLIENTS concurrent clients, each a PUT with If-None-Match: * that must create. */
async function loadContacts(server: BenchServer, book: string, contacts: number): Promise<SizeResult['load']> {
  const latencies: number[] = [];
  let next = 0;
  const progressEvery = contacts >= 2000 ? Math.ceil(contacts / 10) : Infinity;
  const started = performance.now();
  let lastProgress = started;
  const client = async () => {
    for (let index = next++; index < contacts; index = next++) {
      const answer = await timedRequest(server, 'PUT', `${book}${itemName(index)}`, {
        headers: { 'if-none-match': '*', 'content-type': 'text/vcard; charset=utf-8' },
        body: benchVCard(index),
      });
      expectStatus(answer, 201, `PUT of new contact ${index}`);
      latencies.push(answer.ms);
      if (latencies.length % progressEvery === 0) {
        const now = performance.now();
        const rate = (puts: number, ms: number) => ((puts * 1000) / ms).toFixed(0);
        console.log(
          `  ${latencies.length} of ${contacts} contacts loaded: ${rate(progressEvery, now - lastProgress)} PUT/s for these ${progressEvery}, ` +
            `${rate(latencies.length, now - started)} PUT/s so far`,
        );
        lastProgress = now;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { seconds, putsPerSecond: contacts / seconds, p50Ms: at(0.5), p99Ms: at(0.99) };
}

/** Runs one timed request `runs` times in a row; answers the timing and the last answer. */
async function repeat(runs: number, once: (run: number) => Promise<{ ms: number; text: string }>): Promise<{ timing: Timing; last: { text: string } }> {
  const times: number[] = [];
  let last = { text: '' };
  for (let run = 0; run < runs; run += 1) {
    const answer = await once(run);
    times.push(answer.ms);
    last = answer;
  }
  return { timing: timingOf(times), last };
}

function expectStatus<T extends { status: number; text: string }>(answer: T, status: number, what: string): T {
  check(answer.status === status, `${what} answered ${answer.status}, not ${status}: ${answer.text.slice(0, 500)}`);
  return answer;
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`the benchmark's check failed: ${message}`);
}

/** The 1, 5 and 15 minute load averages. */
function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(1))
    .join(', ');
}

function tableColumn(result: SizeResult): SizeColumn {
  return {
    contacts: result.contacts,
    clients: CLIENTS,
    putsPerSecond: result.load.putsPerSecond,
    propfindDepth1: result.propfindDepth1,
    initialSync: result.initialSync,
    oneChangeSync: result.oneChangeSync,
    multiget: result.multiget,
    bytes: { propfind: result.propfindBytes, initialSync: result.initialSyncBytes, multiget: result.multigetBytes },
  };
}

await main();
