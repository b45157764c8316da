// `holdfast app-password …`: the passwords phones and desktop apps use over Basic auth
// (CardDAV, CalDAV, WebDAV), one per device, so losing a phone means revoking one.
import { parseArgs } from 'node:util';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, runSubcommand, writeLine } from './command.ts';
import type { Command } from './command.ts';
import { printCredentials } from './credential-list.ts';
import type { CliIo } from './io.ts';
import { reportMissingUser } from './missing-user.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE, withAccounts } from './open-data-store.ts';

const USAGE = `Usage:
  holdfast app-password create USER [--label LABEL]
  holdfast app-password list USER [--json]
  holdfast app-password revoke USER ID

App passwords are what phones and desktop apps (DAVx5, iOS, Thunderbird) sign in with,
together with the user's name. Give each device its own, so one can be revoked alone.

  create     Make an app password and print it, alone, on stdout. It is shown once:
             only a hash of it is kept.
  list       The user's app passwords: id, label, created, last used, revoked.
             Never the passwords themselves.
  revoke     Stop the app password with this ID from working, at once.

Options:
  --label LABEL      (create) what it is for, e.g. "Anna's phone"
  --json             (list) print a JSON array instead of a table
${STORE_OPTIONS_USAGE}  --help, -h         show this help
`;

export const appPasswordCommand: Command = {
  name: 'app-password',
  summary: 'passwords for phones and apps that sign in with Basic auth',
  usage: USAGE,
  run: (args, io) => runSubcommand(io, 'app-password', USAGE, { create, list, revoke }, args),
};

async function create(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['USER'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION, label: { type: 'string' } }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [user = ''] = parsed.positionals;
  return withAccounts(io, parsed.values, async ({ accounts }) => {
    const result = await accounts.createAppPassword(user, parsed.values.label ?? '');
    if (result.kind === 'no-user') return reportMissingUser(io, accounts, user);
    writeLine(
      io.stderr,
      `Created app password ${result.credential.id} for "${user}". Sign in with the user name "${user}" ` +
        'and this password; it is shown once, here:',
    );
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
    const credentials = await accounts.listAppPasswords(user);
    if (credentials === null) return reportMissingUser(io, accounts, user);
    const json = parsed.values.json === true;
    if (credentials.length === 0 && !json) {
      writeLine(io.stderr, `"${user}" has no app passwords; 'holdfast app-password create ${user}' makes one.`);
    } else {
      printCredentials(io, credentials, { json, showExpiry: false });
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
    const result = await accounts.revokeAppPassword(user, id);
    switch (result.kind) {
      case 'revoked':
        writeLine(io.stderr, `Revoked app password ${id} of "${user}"; it no longer signs in.`);
        return EXIT.ok;
      case 'no-user':
        return reportMissingUser(io, accounts, user);
      case 'not-found':
        return failure(io, `"${user}" has no app password with id "${id}"; 'holdfast app-password list ${user}' shows them`);
    }
  });
}
