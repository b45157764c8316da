// What a command is, how it reads its arguments, and the exit codes every command shares.
import type { CliIo } from './io.ts';

/** 0 done, 1 the command ran and failed (no such user, name taken…), 2 it was asked wrongly. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface Command {
  name: string;
  /** One line for the top-level usage. */
  summary: string;
  /** The whole usage of the command, shown by `holdfast COMMAND --help`. */
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}

/** Says what was wrong, then how the command is used; exit code 2. */
export function usageError(io: CliIo, message: string, usage: string): number {
  writeLine(io.stderr, `holdfast: ${message}`);
  writeLine(io.stderr);
  io.stderr.write(usage);
  return EXIT.usage;
}

/** Says what failed and what to do about it; exit code 1. */
export function failure(io: CliIo, message: string): number {
  writeLine(io.stderr, `holdfast: ${message}`);
  return EXIT.failed;
}

export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

export type ParsedArgs<T> = { kind: 'parsed'; values: T; positionals: string[] } | { kind: 'exit'; code: number };

/**
 * Runs a strict `parseArgs` (passed as `parse`, so each command keeps its own typed
 * options) and checks the positional arguments against their names. `--help` wins over
 * missing arguments, so `holdfast user add --help` shows the usage rather than an error.
 */
export function parseCommandArgs<T extends { help?: boolean | undefined }>(
  io: CliIo,
  usage: string,
  positionalNames: readonly string[],
  parse: () => { values: T; positionals: string[] },
): ParsedArgs<T> {
  let parsed: { values: T; positionals: string[] };
  try {
    parsed = parse();
  } catch (error) {
    if (isParseArgsError(error)) return { kind: 'exit', code: usageError(io, describeParseError(error), usage) };
    throw error;
  }
  if (parsed.values.help === true) {
    io.stdout.write(usage);
    return { kind: 'exit', code: EXIT.ok };
  }
  const missing = positionalNames.slice(parsed.positionals.length);
  if (missing.length > 0) return { kind: 'exit', code: usageError(io, `missing ${missing.join(' and ')}`, usage) };
  const extra = parsed.positionals.slice(positionalNames.length);
  if (extra.length > 0) return { kind: 'exit', code: usageError(io, `unexpected argument "${extra[0]}"`, usage) };
  return { kind: 'parsed', values: parsed.values, positionals: parsed.positionals };
}

/** Runs the subcommand named by the first argument (`user add …`, `token list …`). */
export async function runSubcommand(
  io: CliIo,
  command: string,
  usage: string,
  subcommands: Record<string, (args: string[], io: CliIo) => Promise<number>>,
  args: string[],
): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined) {
    return usageError(io, `'holdfast ${command}' needs one of: ${Object.keys(subcommands).join(', ')}`, usage);
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage);
    return EXIT.ok;
  }
  const run = Object.hasOwn(subcommands, name) ? subcommands[name] : undefined;
  if (run === undefined) {
    const what = name.startsWith('-') ? 'option' : `${command} command`;
    return usageError(io, `unknown ${what} "${name}"`, usage);
  }
  return run(rest, io);
}

// parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown options, missing
// values and the like; anything else is a bug and keeps propagating.
function isParseArgsError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('ERR_PARSE_ARGS_')
  );
}

// Node's messages are good but long ("Unknown option '--x'. To specify a positional
// argument starting with a '-', place it…"); the first sentence is what matters.
function describeParseError(error: Error): string {
  const firstSentence = error.message.split(/\.\s/)[0] ?? error.message;
  return firstSentence.charAt(0).toLowerCase() + firstSentence.slice(1);
}
