// The lines the crash writer prints on stdout, one JSON object each. A line is printed with
// a synchronous write only after the store has acknowledged the write it names, so every
// complete line the parent reads is a promise the store made before it was killed.
import { writeSync } from 'node:fs';

export interface ReadyLine {
  type: 'ready';
  storeId: string;
  pid: number;
  seed: number;
}

/** One acknowledged write: a revision with content (`hash`) or a tombstone (`hash` null). */
export interface AckLine {
  type: 'ack';
  writer: number;
  item: string;
  revision: string;
  seq: number;
  /** SHA-256 of the content, or null for a tombstone. */
  hash: string | null;
  size: number;
  storage: 'inline' | 'blob' | 'none';
}

/** The writer hit something that is not a store outcome (a bug, an I/O error). */
export interface ErrorLine {
  type: 'error';
  message: string;
}

export type WriterLine = ReadyLine | AckLine | ErrorLine;

/** Writes the whole line to stdout before returning, retrying a full pipe rather than
 * dropping it: a lost line would make the parent check less than was acknowledged. */
export function reportLine(line: WriterLine): void {
  const bytes = Buffer.from(`${JSON.stringify(line)}\n`);
  let offset = 0;
  while (offset < bytes.byteLength) {
    try {
      offset += writeSync(1, bytes, offset, bytes.byteLength - offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

/** Splits what the writer printed into lines. A last line without its newline was cut off
 * by the kill; it is ignored, which only means one write fewer is checked. */
export function parseWriterOutput(text: string): WriterLine[] {
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  return complete
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      try {
        return JSON.parse(line) as WriterLine;
      } catch {
        throw new Error(`the crash writer printed a line that is not JSON: ${line.slice(0, 200)}`);
      }
    });
}
