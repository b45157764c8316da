// `holdfast token …`: bearer tokens for the HTTP API (scripts, the web app's helpers).
import { parseArgs } from 'node:util';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, runSubcommand, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import { printCredentials } from './credential-list.ts';
import type { CliIo } from './io.ts';
import { reportMissingUser } from './missing-user.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE, withAccounts } from './open-data-store.ts';

const USAGE = `Usage:
  holdfast token create USER [--label LABEL] [--ttl SECONDS]
  holdfast token list USER [--json]
  holdfast token revoke USER ID

Bearer tokens sign in to the HTTP API as the user ("Authorization: Bearer hf_…").

  create     Make a token and print it, alone, on stdout. It is shown once: only a
             hash of it is kept. Without --ttl it works until it is revoked.
  list       The user's tokens: id, label, created, last used, expires, revoked.
             Never the tokens themselves.
  revoke     Stop the token with this ID from working, at once.

Options:
  --label LABEL      (create) what it is for, e.g. "backup script"
  --ttl SECONDS      (create) the token stops working this many seconds from now
  --json             (list) print a JSON array instead of a table
${STORE_OPTIONS_USAGE}  --help, -h         show this help
`;

export const tokenCommand: Command = {
  name: 'token',
  summary: 'bearer tokens for the HTTP API',
  usage: USAGE,
  run: (args, io) => runSubcommand(io, 'token', USAGE, { create, list, revoke }, args),
};

async function create(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['USER'], () =>
    parseArgs({
      args,
      options: { ...STORE_OPTIONS, ...HELP_OPTION, label: { type: 'string' }, ttl: { type: 'string' } },
      strict: true,
      allowPositionals: true,
    }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [user = ''] = parsed.positionals;
  const ttl = parsed.values.ttl;
  let ttlSeconds: number | undefined;
  if (ttl !== undefined) {
    if (!/^[1-9][0-9]*$/.test(ttl) || !Number.isSafeInteger(Number(ttl))) {
      return usageError(io, `--ttl takes a whole number of seconds greater than 0, not "${ttl}"`, USAGE);
    }
    ttlSeconds = Number(ttl);
  }
  return withAccounts(io, parsed.values, async ({ accounts }) => {
    const options = ttlSeconds === undefined ? {} : { ttlSeconds };
    const result = await accounts.createToken(user, parsed.values.label ?? '', options);
    if (result.kind === 'no-user') return reportMissingUser(io, accounts, user);
    const expiry = result.credential.expiresAt === null ? 'until it is revoked' : `until ${result.credential.expiresAt}`;
    writeLine(io.stderr, `Created token ${result.credential.id} for "${user}", valid ${expiry}. It is shown once, here:`);
    writeLine(io.stdout, result.secret);
    return EXIT.ok;
  });
}

async function list(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['USER'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION, json: { type: 'boolean' } }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [user = ''] = parsed.positionals;
  return withAccounts(io, parsed.values, async ({ accounts }) => {
    const credentials = await accounts.listTokens(user);
    if (credentials === null) return reportMissingUser(io, accounts, user);
    const json = parsed.values.json === true;
    if (credentials.length === 0 && !json) {
      writeLine(io.stderr, `"${user}" has no tokens; 'holdfast token create ${user}' makes one.`);
    } else {
      printCredentials(io, credentials, { json, showExpiry: true });
    }
    return EXIT.ok;
  });
}

async function revoke(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['USER', 'ID'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [user = '', id = ''] = parsed.positionals;
  return withAccounts(io, parsed.values, async ({ accounts }) => {
    const result = await accounts.revokeToken(user, id);
    switch (result.kind) {
      case 'revoked':
        writeLine(io.stderr, `Revoked token ${id} of "${user}"; it no longer signs in.`);
        return EXIT.ok;
      case 'no-user':
        return reportMissingUser(io, accounts, user);
      case 'not-found':
        return failure(io, `"${user}" has no token with id "${id}"; 'holdfast token list ${user}' shows them`);
    }
  });
}
