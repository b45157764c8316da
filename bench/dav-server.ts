// A real Holdfast server for the DAV benchmark, started the way an operator starts one:
// `holdfast serve` in a child process (its own event loop, so the benchmark's clients do not
// share a CPU thread with it), then `holdfast user add` and `holdfast app-password create`
// against the same data directory, as the docs tell a new operator to do.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOLDFAST = fileURLToPath(new URL('../bin/holdfast.js', import.meta.url));
const SERVING = /^holdfast: serving (http:\/\/\S+) from /m;
const START_TIMEOUT_MS = 60_000;

export interface BenchServer {
  url: string;
  /** The server process, for reading its memory from /proc. */
  pid: number;
  userName: string;
  /** The user's app password (for clients that take credentials, like the device SDK). */
  appPassword: string;
  /** The Authorization header: Basic with the user's app password. */
  authorization: string;
  /** SIGTERM, then waits for the server to finish its requests and exit. */
  stop(): Promise<void>;
}

/** `serveArgs` are added to `holdfast serve`'s own (bench:files raises --max-body-bytes). */
export async function startBenchServer(dataDir: string, userName = 'bench', serveArgs: string[] = []): Promise<BenchServer> {
  const server = spawn(process.execPath, [HOLDFAST, 'serve', '--data', dataDir, '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn', ...serveArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = keepTail(server);
  const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
  try {
    const url = await servingUrl(server, output, exited);
    await runHoldfast(['user', 'add', userName, '--data', dataDir, '--password-stdin'], 'a passphrase only the benchmark uses\n');
    const secret = (await runHoldfast(['app-password', 'create', userName, '--data', dataDir, '--label', 'bench:dav'])).trim();
    if (!/^\S+$/.test(secret)) throw new Error(`holdfast app-password create printed ${JSON.stringify(secret)}, not one password`);
    return {
      url,
      pid: server.pid ?? 0,
      userName,
      appPassword: secret,
      authorization: `Basic ${Buffer.from(`${userName}:${secret}`, 'utf8').toString('base64')}`,
      async stop() {
        if (server.exitCode === null) server.kill('SIGTERM');
        const code = await exited;
        if (code !== 0) throw new Error(`holdfast serve exited with ${code}:\n${output()}`);
      },
    };
  } catch (error) {
    server.kill('SIGTERM');
    await exited;
    throw error;
  }
}

function servingUrl(server: ChildProcess, output: () => string, exited: Promise<number | null>): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`holdfast serve did not start in ${START_TIMEOUT_MS / 1000} s:\n${output()}`)), START_TIMEOUT_MS);
    let stderr = '';
    server.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      const match = SERVING.exec(stderr);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`holdfast serve exited with ${code} before it served:\n${output()}`));
    });
  });
}

/** The last 8 KiB the server wrote, for an error message; reading also keeps its pipes drained. */
function keepTail(child: ChildProcess): () => string {
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-8192);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

/** Runs a `holdfast` command to completion and answers its stdout; a non-zero exit throws. */
function runHoldfast(args: string[], stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HOLDFAST, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`holdfast ${args.join(' ')} exited with ${code}: ${stderr}`))));
    child.stdin.end(stdin);
  });
}
