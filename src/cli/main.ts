// The `holdfast` command: picks the command named by the first argument and returns its
// exit code. Each command lives in its own file; see docs/cli.md.
import { appPasswordCommand } from './app-password.ts';
import { backupCommand } from './backup.ts';
import { deviceCommand } from './device.ts';
import { EXIT, failure, usageError } from './command.ts';
import type { Command } from './command.ts';
import { historyCommand } from './history.ts';
import { processIo } from './io.ts';
import type { CliIo } from './io.ts';
import { STORE_OPTIONS_USAGE } from './open-data-store.ts';
import { restoreCommand } from './restore.ts';
import { scrubCommand } from './scrub.ts';
import { statusCommand } from './status.ts';
import { tokenCommand } from './token.ts';
import { trashCommand } from './trash.ts';
import { userCommand } from './user.ts';

const serveCommand: Command = {
  name: 'serve',
  summary: 'run the server (creates the store on first start)',
  usage: '', // `holdfast serve --help` answers from serve.ts
  // Loaded on demand: the HTTP server is not needed to add a user or read the status.
  run: async (args, io) => {
    const serve = await import('./serve.ts');
    return serve.serveCommand(args, io);
  },
};

const COMMANDS: readonly Command[] = [
  serveCommand,
  userCommand,
  appPasswordCommand,
  tokenCommand,
  trashCommand,
  historyCommand,
  statusCommand,
  backupCommand,
  restoreCommand,
  scrubCommand,
  deviceCommand,
];

const USAGE = `Usage: holdfast COMMAND [ARGUMENTS]

Holdfast keeps a household's contacts, calendars and files, and does not lose them.

Commands:
${COMMANDS.map((command) => `  ${command.name.padEnd(14)} ${command.summary}`).join('\n')}
  help COMMAND   how to use a command (also: holdfast COMMAND --help)

Every command except serve and device works on an existing store, and takes:
${STORE_OPTIONS_USAGE}
Exit codes: 0 done, 1 failed (the message says why), 2 the command line was wrong.
`;

export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (name === 'help') return help(rest, io);
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) {
    return usageError(io, name.startsWith('-') ? `unknown option "${name}"` : `unknown command "${name}"`, USAGE);
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return reportUnexpected(io, error);
  }
}

/** I/O failures (a full disk, a permission) are told plainly; anything else is a bug, and
 * its stack is what a bug report needs. Either way the store was closed on the way out. */
function reportUnexpected(io: CliIo, error: unknown): number {
  const isSystemError = error instanceof Error && 'syscall' in error;
  if (isSystemError) return failure(io, error.message);
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return failure(io, `unexpected error; please report it with this text:\n${detail}`);
}

async function help(args: string[], io: CliIo): Promise<number> {
  const [name, ...extra] = args;
  if (name === undefined) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (extra.length > 0) return usageError(io, `'holdfast help' takes one command, not "${args.join(' ')}"`, USAGE);
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) return usageError(io, `unknown command "${name}"`, USAGE);
  // serve documents itself (its options belong to the server's configuration).
  if (command === serveCommand) return command.run(['--help'], io);
  io.stdout.write(command.usage);
  return EXIT.ok;
}
