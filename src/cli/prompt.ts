// Reading answers from stdin: a password typed with echo off, a yes/no confirmation, or
// the first line of a pipe. Prompts go to stderr so stdout stays clean for scripts.
import { StringDecoder } from 'node:string_decoder';
import { ReadStream } from 'node:tty';
import type { CliIo } from './io.ts';

export type LineResult = { kind: 'line'; text: string } | { kind: 'end' } | { kind: 'interrupted' };

export interface LineReader {
  /** The next line without its line ending. `hidden` turns the terminal's echo off. */
  readLine(options?: { hidden?: boolean }): Promise<LineResult>;
  /** Stops reading, so an idle stdin does not keep the process alive. */
  close(): void;
}

const CTRL_C = '\x03';
const CTRL_D = '\x04';
const CTRL_U = '\x15';
const BACKSPACE = '\b';
const DELETE = '\x7f';

/** One reader per command run: it keeps what arrived past the end of a line for the next. */
export function openLineReader(stdin: NodeJS.ReadableStream): LineReader {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let ended = false;
  let failed: Error | null = null;
  let wake: (() => void) | null = null;
  // In raw mode a terminal sends '\r' for Enter; a '\n' right after it is the same Enter.
  let dropNewline = false;

  const onData = (chunk: string | Buffer): void => {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    wake?.();
  };
  const onEnd = (): void => {
    pending += decoder.end();
    ended = true;
    wake?.();
  };
  const onError = (error: Error): void => {
    failed = error;
    wake?.();
  };
  stdin.on('data', onData);
  stdin.on('end', onEnd);
  stdin.on('error', onError);

  const waitForInput = (): Promise<void> =>
    new Promise((resolve) => {
      wake = () => {
        wake = null;
        resolve();
      };
    });

  const takePlainLine = (): LineResult | null => {
    if (dropNewline && pending.startsWith('\n')) pending = pending.slice(1);
    dropNewline = false;
    const end = pending.indexOf('\n');
    if (end === -1) return null;
    const text = pending.slice(0, end).replace(/\r$/, '');
    pending = pending.slice(end + 1);
    return { kind: 'line', text };
  };

  // Raw mode: the terminal does no line editing, so backspace and friends are ours.
  let typed: string[] = [];
  const takeTerminalLine = (): LineResult | null => {
    while (pending.length > 0) {
      const [char = ''] = pending;
      pending = pending.slice(char.length);
      if (dropNewline && char === '\n') {
        dropNewline = false;
        continue;
      }
      dropNewline = false;
      if (char === '\r' || char === '\n') {
        dropNewline = char === '\r';
        const text = typed.join('');
        typed = [];
        return { kind: 'line', text };
      }
      if (char === CTRL_C) return { kind: 'interrupted' };
      if (char === CTRL_D && typed.length === 0) return { kind: 'end' };
      if (char === BACKSPACE || char === DELETE) typed.pop();
      else if (char === CTRL_U) typed = [];
      else if (char >= ' ') typed.push(char);
    }
    return null;
  };

  const readLine = async (hidden: boolean): Promise<LineResult> => {
    stdin.resume();
    for (;;) {
      const line = hidden ? takeTerminalLine() : takePlainLine();
      if (line !== null) return line;
      if (failed !== null) throw failed;
      if (ended) {
        if (pending.length === 0 && typed.length === 0) return { kind: 'end' };
        // The last line of a pipe may lack its newline.
        const text = typed.join('') + pending;
        typed = [];
        pending = '';
        return { kind: 'line', text: text.replace(/\r$/, '') };
      }
      await waitForInput();
    }
  };

  return {
    async readLine(options = {}) {
      const terminal = options.hidden === true && stdin instanceof ReadStream ? stdin : null;
      if (terminal === null) return readLine(false);
      terminal.setRawMode(true);
      try {
        return await readLine(true);
      } finally {
        terminal.setRawMode(false);
      }
    },
    close() {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
    },
  };
}

/** Asks for a secret with echo off (on a terminal). Null if the user gave up (Ctrl-C, Ctrl-D). */
export async function askHidden(io: CliIo, reader: LineReader, question: string): Promise<string | null> {
  io.stderr.write(question);
  const answer = await reader.readLine({ hidden: true });
  // Enter was not echoed, so end the prompt's line ourselves.
  io.stderr.write('\n');
  return answer.kind === 'line' ? answer.text : null;
}

/** A yes/no question; anything but "y" or "yes" is no. */
export async function askYesNo(io: CliIo, question: string): Promise<boolean> {
  const reader = openLineReader(io.stdin);
  try {
    io.stderr.write(`${question} [y/N] `);
    const answer = await reader.readLine();
    return answer.kind === 'line' && /^\s*y(es)?\s*$/i.test(answer.text);
  } finally {
    reader.close();
  }
}
