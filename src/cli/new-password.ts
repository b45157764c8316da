// Where a new account password comes from, for `user add` and `user passwd`: the first
// line of stdin (--password-stdin), typed twice at a terminal, or — in a script that gave
// neither — generated here and shown once.
import { randomInt } from 'node:crypto';
import { checkPasswordStrength } from '../accounts/passwords.ts';
import { writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { askHidden, openLineReader } from './prompt.ts';
import type { LineReader } from './prompt.ts';

export type NewPassword =
  | { kind: 'chosen'; password: string }
  | { kind: 'generated'; password: string }
  | { kind: 'failed'; message: string };

export async function obtainNewPassword(io: CliIo, options: { fromStdin: boolean; userName: string }): Promise<NewPassword> {
  const reader = openLineReader(io.stdin);
  try {
    return await readNewPassword(io, reader, options);
  } finally {
    reader.close();
  }
}

async function readNewPassword(
  io: CliIo,
  reader: LineReader,
  options: { fromStdin: boolean; userName: string },
): Promise<NewPassword> {
  if (options.fromStdin) {
    // Hidden in case stdin is a terminal after all: no password in the scrollback.
    const line = await reader.readLine({ hidden: true });
    if (line.kind !== 'line') return { kind: 'failed', message: 'no password on stdin (--password-stdin reads its first line)' };
    if (line.text.length === 0) return { kind: 'failed', message: 'the password on stdin is empty' };
    return { kind: 'chosen', password: line.text };
  }
  if (!io.isTTY) return { kind: 'generated', password: generatePassword() };

  // A weak password is caught here, before it is typed a second time, and asked again.
  let first: string | null = null;
  for (let attempt = 1; first === null; attempt += 1) {
    const typed = await askHidden(io, reader, `Password for ${options.userName}: `);
    if (typed === null) return { kind: 'failed', message: 'cancelled; nothing was changed' };
    const weak = typed.length === 0 ? 'The password is empty.' : checkPasswordStrength(typed, options.userName);
    if (weak === null) first = typed;
    else if (attempt === MAX_ATTEMPTS) return { kind: 'failed', message: `${weak} Nothing was changed.` };
    else writeLine(io.stderr, weak);
  }
  const second = await askHidden(io, reader, 'The same password again: ');
  if (second === null) return { kind: 'failed', message: 'cancelled; nothing was changed' };
  if (second !== first) return { kind: 'failed', message: 'the two passwords differ; nothing was changed' };
  return { kind: 'chosen', password: first };
}

const MAX_ATTEMPTS = 3;

// No 0/o, 1/l/i: the password may be read off one screen and typed on a phone.
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 6;
const GROUP_LENGTH = 4;

/** Six groups of four (`k7xm-…`), about 119 bits from the system's CSPRNG. */
export function generatePassword(): string {
  const groups: string[] = [];
  for (let group = 0; group < GROUPS; group += 1) {
    let text = '';
    for (let i = 0; i < GROUP_LENGTH; i += 1) text += ALPHABET.charAt(randomInt(ALPHABET.length));
    groups.push(text);
  }
  return groups.join('-');
}
