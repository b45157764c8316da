// Where `holdfast device sync` gets the password it signs in with: the first line of stdin
// (--password-stdin), else HOLDFAST_PASSWORD, else a prompt with echo off at a terminal.
// Never a command-line flag: those are visible to every user of the machine in `ps`.
import type { CliIo } from './io.ts';
import { askHidden, openLineReader } from './prompt.ts';

export const PASSWORD_ENV = 'HOLDFAST_PASSWORD';

export type SignInPassword = { kind: 'password'; password: string } | { kind: 'failed'; message: string };

export async function obtainSignInPassword(io: CliIo, options: { fromStdin: boolean; user: string }): Promise<SignInPassword> {
  if (options.fromStdin) {
    const reader = openLineReader(io.stdin);
    try {
      const line = await reader.readLine({ hidden: true });
      if (line.kind !== 'line') return { kind: 'failed', message: 'no password on stdin (--password-stdin reads its first line)' };
      if (line.text.length === 0) return { kind: 'failed', message: 'the password on stdin is empty' };
      return { kind: 'password', password: line.text };
    } finally {
      reader.close();
    }
  }
  const fromEnv = io.env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { kind: 'password', password: fromEnv };
  if (!io.isTTY) {
    return {
      kind: 'failed',
      message: `no password: pass --password-stdin and write it to stdin, or set ${PASSWORD_ENV} (use an app password made for this device)`,
    };
  }
  const reader = openLineReader(io.stdin);
  try {
    const typed = await askHidden(io, reader, `Password for ${options.user}: `);
    if (typed === null || typed.length === 0) return { kind: 'failed', message: 'no password given; nothing was synced' };
    return { kind: 'password', password: typed };
  } finally {
    reader.close();
  }
}
