// One round of the crash test: start the writer on the data directory, wait until it is
// ready, let it write for a while, SIGKILL it, and collect every write it had reported as
// acknowledged. The checking is verify-after-crash.ts's.
//
// SIGKILL ends the process, not the machine: what the process had handed to the kernel
// (written but not yet fsynced) survives in the page cache. So this proves the store never
// acknowledges before its own writes are issued in a safe order and are complete; it does
// not prove they reach the platter. That rests on the fsyncs (synchronous=FULL, and temp →
// fsync → rename → fsync directory for blobs), which only a power cut could test.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWriterOutput } from './writer-report.ts';
import type { AckLine, ReadyLine } from './writer-report.ts';

const REPOSITORY = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WRITER = join('test', 'crash', 'crash-writer.ts');
/** Starting Node with tsx takes about 0.3 s; a busy machine may take much longer. */
const READY_TIMEOUT_MS = 60_000;

export interface RoundPlan {
  /** The writer's seed: its choices of items, operations, contents and chunk sizes. */
  seed: number;
  /** How long the writer runs after "ready" before it is killed. */
  killAfterMs: number;
}

export type RoundRun =
  | { kind: 'killed'; ready: ReadyLine; acks: AckLine[] }
  | { kind: 'failed'; reason: string };

export async function runAndKillWriter(dataDir: string, plan: RoundPlan): Promise<RoundRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, '--data', dataDir, '--seed', String(plan.seed)], {
    cwd: REPOSITORY,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let killTimer: NodeJS.Timeout | undefined;
  let killedByUs = false;
  const kill = () => {
    killedByUs = true;
    child.kill('SIGKILL');
  };
  const readyTimer = setTimeout(kill, READY_TIMEOUT_MS);

  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const wasReady = stdout.includes('\n');
    stdout += chunk;
    if (!wasReady && stdout.includes('\n')) {
      // The first complete line is "ready" (or an error); from here the writer writes.
      clearTimeout(readyTimer);
      killTimer = setTimeout(kill, plan.killAfterMs);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null } | Error>((resolve) => {
    child.on('error', resolve);
    child.on('close', (code, signal) => resolve({ code, signal }));
  });
  clearTimeout(killTimer);
  clearTimeout(readyTimer);
  if (exit instanceof Error) return { kind: 'failed', reason: `the writer could not be started: ${exit.message}` };

  let lines;
  try {
    lines = parseWriterOutput(stdout);
  } catch (error) {
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
  const errors = lines.flatMap((line) => (line.type === 'error' ? [line.message] : []));
  if (errors.length > 0) return { kind: 'failed', reason: `the writer failed: ${errors.join('\n')}${tail(stderr)}` };
  const ready = lines[0];
  if (ready?.type !== 'ready') {
    return { kind: 'failed', reason: `the writer never said it was ready (exit ${describeExit(exit)})${tail(stderr)}` };
  }
  if (!killedByUs || exit.signal !== 'SIGKILL') {
    return { kind: 'failed', reason: `the writer stopped by itself before it was killed (exit ${describeExit(exit)})${tail(stderr)}` };
  }
  const acks = lines.filter((line): line is AckLine => line.type === 'ack');
  return { kind: 'killed', ready, acks };
}

function describeExit(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ?? `code ${String(exit.code)}`;
}

function tail(stderr: string): string {
  const text = stderr.trim();
  return text.length === 0 ? '' : `\nits stderr ends with:\n${text.slice(-2000)}`;
}
