// The file-tree benchmark: a real Holdfast server (`holdfast serve` in a child process, a
// real store on disk) taking WebDAV PUTs over HTTP on 127.0.0.1, each figure printed next to
// a baseline measured in the same run on the same disk:
//
//   npm run bench:files -- [--dir DIR] [--size 1GiB] [--files 5000] [--file-size 100KB] [--clients 8] [--json]
//
// 1. One large PUT (--size, default 1 GiB) from a generated stream: MB/s, next to writing
//    and fsyncing the same bytes straight to a file, and the ratio (target ≥ 70%).
// 2. The server's memory during that upload, sampled from /proc/PID/status: how far its
//    resident set grew above where it stood before (target < 64 MB), and its VmHWM.
// 3. Many small files (--files of --file-size, default 5,000 of 100 KB) PUT by --clients
//    concurrent clients (default 8): files per second, next to the same files written
//    durably (temp, fsync, rename, fsync of the directory) by as many concurrent writers.
//
// --dir picks the disk (a temporary directory inside DIR, removed afterwards; default the
// system temp directory). MB are 10^6 bytes.
import { randomBytes } from 'node:crypto';
import { open, mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fsyncDirectory } from '../src/store/durable-fs.ts';
import { startBenchServer, type BenchServer } from './dav-server.ts';

const CHUNK_BYTES = 1024 * 1024;
/** Distinct chunks cycled through, so the stream is not one block repeated. */
const POOL_CHUNKS = 16;
const SAMPLE_MS = 20;

interface Options {
  dir: string;
  size: number;
  files: number;
  fileSize: number;
  clients: number;
  json: boolean;
}

function parseSize(text: string, flag: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$/i.exec(text);
  if (!match) throw new RangeError(`${flag} takes a size such as 1GiB, 100KB or 1048576, got ${JSON.stringify(text)}`);
  const units: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };
  const bytes = Math.round(Number(match[1]) * (units[(match[2] ?? 'b').toLowerCase()] ?? 1));
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`${flag} must be at least one byte, got ${JSON.stringify(text)}`);
  return bytes;
}

function parseCount(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${flag} takes a positive whole number, got ${JSON.stringify(text)}`);
  return value;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      dir: { type: 'string' },
      size: { type: 'string' },
      files: { type: 'string' },
      'file-size': { type: 'string' },
      clients: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  return {
    dir: resolve(values.dir ?? tmpdir()),
    size: parseSize(values.size ?? '1GiB', '--size'),
    files: parseCount(values.files, 5000, '--files'),
    fileSize: parseSize(values['file-size'] ?? '100KB', '--file-size'),
    clients: parseCount(values.clients, 8, '--clients'),
    json: values.json ?? false,
  };
}

const pool = Array.from({ length: POOL_CHUNKS }, () => randomBytes(CHUNK_BYTES));

/** `size` bytes as 1 MiB chunks from the pool (the last one cut to fit). */
function* generatedChunks(size: number): Generator<Buffer> {
  for (let offset = 0, index = 0; offset < size; offset += CHUNK_BYTES, index += 1) {
    const chunk = pool[index % POOL_CHUNKS] as Buffer;
    yield size - offset >= CHUNK_BYTES ? chunk : chunk.subarray(0, size - offset);
  }
}

const mbPerSecond = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

/** The baseline: the same bytes written to a file and fsynced once at the end. */
async function directWrite(path: string, size: number): Promise<number> {
  const started = performance.now();
  const handle = await open(path, 'wx');
  try {
    for (const chunk of generatedChunks(size)) {
      let offset = 0;
      while (offset < chunk.length) offset += (await handle.write(chunk, offset)).bytesWritten;
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  return (performance.now() - started) / 1000;
}

interface MemorySample {
  rssKiB: number;
  hwmKiB: number;
}

async function memoryOf(pid: number): Promise<MemorySample> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** CPU seconds the process has used (user + system), from /proc/PID/stat in clock ticks of
 * 1/100 s (USER_HZ, 100 on every Linux this runs on). On a machine shared with other work,
 * MB/s depends on how much CPU the server got; CPU seconds per GiB does not. */
async function cpuSecondsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Samples the server's resident set until stopped; answers the highest seen. */
function sampleMemory(pid: number): { stop: () => Promise<MemorySample> } {
  let peak: MemorySample = { rssKiB: 0, hwmKiB: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const sample = await memoryOf(pid);
      peak = { rssKiB: Math.max(peak.rssKiB, sample.rssKiB), hwmKiB: Math.max(peak.hwmKiB, sample.hwmKiB) };
      await new Promise((done) => setTimeout(done, SAMPLE_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const last = await memoryOf(pid);
      return { rssKiB: Math.max(peak.rssKiB, last.rssKiB), hwmKiB: Math.max(peak.hwmKiB, last.hwmKiB) };
    },
  };
}

/** One PUT whose body is written chunk by chunk as the socket takes it. Answers the status. */
function put(server: BenchServer, path: string, chunks: Iterable<Buffer>, size: number, agent?: Agent): Promise<number> {
  const url = new URL(path, server.url);
  return new Promise((resolvePut, reject) => {
    const req = request(url, {
      method: 'PUT',
      agent,
      headers: { authorization: server.authorization, 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
    req.on('response', (response) => {
      response.resume();
      response.on('end', () => resolvePut(response.statusCode ?? 0));
    });
    req.on('error', reject);
    const iterator = chunks[Symbol.iterator]();
    const writeMore = (): void => {
      for (;;) {
        const next = iterator.next();
        if (next.done) {
          req.end();
          return;
        }
        if (!req.write(next.value)) {
          req.once('drain', writeMore);
          return;
        }
      }
    };
    writeMore();
  });
}

function expectCreated(status: number, what: string): void {
  if (status !== 201 && status !== 204) throw new Error(`${what} answered ${status}, not 201 or 204`);
}

/** Runs `count` jobs with `concurrency` of them in flight at once. */
async function inParallel(count: number, concurrency: number, job: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await job(next++);
    }),
  );
}

/** The baseline for small files: each written as the blob engine writes one. */
async function directSmallFiles(dir: string, opts: Options, content: (index: number) => Buffer): Promise<number> {
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await mkdir(join(dir, 'final'), { recursive: true });
  const started = performance.now();
  await inParallel(opts.files, opts.clients, async (index) => {
    const temp = join(dir, 'tmp', `f${index}`);
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(content(index));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(dir, 'final', `f${index}`));
    await fsyncDirectory(join(dir, 'final'));
  });
  return (performance.now() - started) / 1000;
}

/** Small files differ from one another (else every PUT after the first stores nothing new). */
function smallFile(size: number): (index: number) => Buffer {
  const base = randomBytes(size);
  return (index) => {
    const bytes = Buffer.from(base);
    bytes.writeUInt32LE(index, 0);
    return bytes;
  };
}

async function main(): Promise<void> {
  const opts = options();
  const workDir = await mkdtemp(join(opts.dir, 'holdfast-bench-files-'));
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown'}), Node ${process.version}`;
  const loadAtStart = loadavg().map((n) => n.toFixed(2)).join(' ');
  console.log(`files benchmark in ${workDir}: ${machine}, load average ${loadAtStart}`);
  let server: BenchServer | null = null;
  try {
    // Baseline first, so the page cache holds none of the server's writes when it runs.
    const directSeconds = await directWrite(join(workDir, 'direct.bin'), opts.size);
    await rm(join(workDir, 'direct.bin'));

    server = await startBenchServer(join(workDir, 'data'), 'bench', ['--max-body-bytes', String(Math.max(opts.size, opts.fileSize, 1024 * 1024))]);
    const folder = `/dav/${server.userName}/files/`;
    const mkcol = await fetch(new URL(folder, server.url), { method: 'MKCOL', headers: { authorization: server.authorization } });
    if (mkcol.status !== 201 && mkcol.status !== 405) throw new Error(`MKCOL ${folder} answered ${mkcol.status}`);
    // Warm-up: the first PUT's JIT and the blob directory's first fan-out are not the disk.
    expectCreated(await put(server, `${folder}warm-up.bin`, generatedChunks(8 * CHUNK_BYTES), 8 * CHUNK_BYTES), 'the warm-up PUT');

    const before = await memoryOf(server.pid);
    const cpuBefore = await cpuSecondsOf(server.pid);
    const memory = sampleMemory(server.pid);
    const started = performance.now();
    expectCreated(await put(server, `${folder}large.bin`, generatedChunks(opts.size), opts.size), 'the large PUT');
    const putSeconds = (performance.now() - started) / 1000;
    const peak = await memory.stop();
    const serverCpuSeconds = (await cpuSecondsOf(server.pid)) - cpuBefore;

    const content = smallFile(opts.fileSize);
    const directSmallSeconds = await directSmallFiles(join(workDir, 'direct-small'), opts, content);
    await rm(join(workDir, 'direct-small'), { recursive: true });
    const agent = new Agent({ keepAlive: true, maxSockets: opts.clients });
    const smallStarted = performance.now();
    await inParallel(opts.files, opts.clients, async (index) => {
      const bytes = content(index);
      expectCreated(await put(server as BenchServer, `${folder}small-${index}.bin`, [bytes], bytes.length, agent), `PUT of small file ${index}`);
    });
    const smallSeconds = (performance.now() - smallStarted) / 1000;
    agent.destroy();

    const result = {
      large: {
        bytes: opts.size,
        putMBps: mbPerSecond(opts.size, putSeconds),
        directMBps: mbPerSecond(opts.size, directSeconds),
        ratio: directSeconds / putSeconds,
        serverCpuSecondsPerGiB: serverCpuSeconds / (opts.size / 1024 ** 3),
        rssBeforeMB: before.rssKiB / 1024,
        rssGrowthMB: (peak.rssKiB - before.rssKiB) / 1024,
        hwmMB: peak.hwmKiB / 1024,
      },
      small: {
        files: opts.files,
        bytesEach: opts.fileSize,
        clients: opts.clients,
        putFilesPerSecond: opts.files / smallSeconds,
        directFilesPerSecond: opts.files / directSmallSeconds,
        ratio: directSmallSeconds / smallSeconds,
      },
    };
    const { large, small } = result;
    const gib = (opts.size / 1024 ** 3).toFixed(opts.size >= 1024 ** 3 ? 0 : 2);
    console.log(`\none PUT of ${gib} GiB (${opts.size} bytes):`);
    console.log(`  WebDAV PUT                          ${large.putMBps.toFixed(0).padStart(6)} MB/s`);
    console.log(`  write + fsync to a file, same disk  ${large.directMBps.toFixed(0).padStart(6)} MB/s`);
    console.log(`  ratio                               ${(large.ratio * 100).toFixed(0).padStart(6)} %   (target ≥ 70 %)`);
    console.log(`  server CPU: ${large.serverCpuSecondsPerGiB.toFixed(2)} s per GiB (${((serverCpuSeconds / putSeconds) * 100).toFixed(0)} % of one CPU during the upload)`);
    console.log(`  server memory: resident ${large.rssBeforeMB.toFixed(0)} MB before, grew by at most ${large.rssGrowthMB.toFixed(1)} MB during the upload (target < 64 MB); VmHWM ${large.hwmMB.toFixed(0)} MB`);
    console.log(`\n${small.files} files of ${opts.fileSize} bytes, ${small.clients} concurrent clients:`);
    console.log(`  WebDAV PUT                                   ${small.putFilesPerSecond.toFixed(0).padStart(6)} files/s`);
    console.log(`  temp + fsync + rename + fsync dir, same disk ${small.directFilesPerSecond.toFixed(0).padStart(6)} files/s`);
    console.log(`  ratio                                        ${(small.ratio * 100).toFixed(0).padStart(6)} %`);
    const loadAtEnd = loadavg().map((n) => n.toFixed(2)).join(' ');
    console.log(`\nload average at the end: ${loadAtEnd} (${cpus().length} CPUs); at the start it was ${loadAtStart}`);
    if (opts.json) console.log(JSON.stringify({ dir: workDir, machine, loadAtStart, loadAtEnd, ...result }));
  } finally {
    await server?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
