// A CliIo for running `runCli` in-process: stdin from a string, stdout and stderr captured,
// and `isTTY` chosen by the test, to exercise prompts that a spawned process (whose stdin
// is a pipe) never shows.
import { PassThrough } from 'node:stream';
import type { CliIo } from '../../src/cli/io.ts';

export interface FakeIo {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
}

export function fakeIo(options: { input?: string; isTTY?: boolean; env?: Record<string, string> } = {}): FakeIo {
  const stdin = new PassThrough();
  stdin.end(options.input ?? '');
  const stdout = capture();
  const stderr = capture();
  return {
    io: { stdin, stdout: stdout.stream, stderr: stderr.stream, env: options.env ?? {}, isTTY: options.isTTY ?? false },
    stdout: stdout.text,
    stderr: stderr.text,
  };
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  return { stream, text: () => text };
}
