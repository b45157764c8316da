// `holdfast app-password …` and `holdfast token …` are one command over two kinds of
// credential: create (the secret alone on stdout, shown once), list and revoke. What
// tells them apart is a CredentialCommandKind, in ./app-password.ts and ./token.ts.
import { parseArgs } from 'node:util';
import type { Accounts, CreateSecretResult, RevokeResult } from '../accounts/accounts.ts';
import type { Credential } from '../store/store.ts';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, runSubcommand, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import { printCredentials } from './credential-list.ts';
import type { CliIo } from './io.ts';
import { reportMissingUser } from './missing-user.ts';
import { STORE_OPTIONS, withAccounts } from './open-data-store.ts';
import type { StoreFlags } from './open-data-store.ts';

export interface CredentialCommandKind {
  /** The command, which the hints in messages name too: `holdfast ${name} list USER`. */
  name: string;
  summary: string;
  usage: string;
  /** What one is called in messages ("app password"), and several ("app passwords"). */
  noun: string;
  plural: string;
  /** Whether it can expire: then `create` takes --ttl SECONDS and `list` shows when. */
  expires: boolean;
  create(accounts: Accounts, user: string, label: string, options: { ttlSeconds?: number }): Promise<CreateSecretResult>;
  list(accounts: Accounts, user: string): Promise<Credential[] | null>;
  revoke(accounts: Accounts, user: string, id: string): Promise<RevokeResult>;
  /** What `create` says on stderr, just before the secret goes alone to stdout. */
  createdMessage(user: string, credential: Credential): string;
}

export function credentialCommand(kind: CredentialCommandKind): Command {
  const subcommands = {
    create: (args: string[], io: CliIo) => create(kind, args, io),
    list: (args: string[], io: CliIo) => list(kind, args, io),
    revoke: (args: string[], io: CliIo) => revoke(kind, args, io),
  };
  return {
    name: kind.name,
    summary: kind.summary,
    usage: kind.usage,
    run: (args, io) => runSubcommand(io, kind.name, kind.usage, subcommands, args),
  };
}

const CREATE_OPTIONS = { ...STORE_OPTIONS, ...HELP_OPTION, label: { type: 'string' } } as const;
const TTL_OPTION = { ttl: { type: 'string' } } as const;

interface CreateFlags extends StoreFlags {
  help?: boolean | undefined;
  label?: string | undefined;
  ttl?: string | undefined;
}

async function create(kind: CredentialCommandKind, args: string[], io: CliIo): Promise<number> {
  // Without TTL_OPTION, --ttl is an unknown option like any other.
  const parsed = parseCommandArgs<CreateFlags>(io, kind.usage, ['USER'], () =>
    parseArgs({ args, options: kind.expires ? { ...CREATE_OPTIONS, ...TTL_OPTION } : CREATE_OPTIONS, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [user = ''] = parsed.positionals;
  const ttl = parsed.values.ttl;
  let ttlSeconds: number | undefined;
  if (ttl !== undefined) {
    if (!/^[1-9][0-9]*$/.test(ttl) || !Number.isSafeInteger(Number(ttl))) {
      return usageError(io, `--ttl takes a whole number of seconds greater than 0, not "${ttl}"`, kind.usage);
    }
    ttlSeconds = Number(ttl);
  }
  return withAccounts(io, parsed.values, async ({ accounts }) => {
    const options = ttlSeconds === undefined ? {} : { ttlSeconds };
    const result = await kind.create(accounts, user, parsed.values.label ?? '', options);
    if (result.kind === 'no-user') return reportMissingUser(io, accounts, user);
    writeLine(io.stderr, kind.createdMessage(user, result.credential));
    writeLine(io.stdout, result.secret);
    return EXIT.ok;
  });
}

async function list(kind: CredentialCommandKind, args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, kind.usage, ['USER'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION, json: { type: 'boolean' } }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [user = ''] = parsed.positionals;
  return withAccounts(io, parsed.values, async ({ accounts }) => {
    const credentials = await kind.list(accounts, user);
    if (credentials === null) return reportMissingUser(io, accounts, user);
    const json = parsed.values.json === true;
    if (credentials.length === 0 && !json) {
      writeLine(io.stderr, `"${user}" has no ${kind.plural}; 'holdfast ${kind.name} create ${user}' makes one.`);
    } else {
      printCredentials(io, credentials, { json, showExpiry: kind.expires });
    }
    return EXIT.ok;
  });
}

async function revoke(kind: CredentialCommandKind, args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, kind.usage, ['USER', 'ID'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [user = '', id = ''] = parsed.positionals;
  return withAccounts(io, parsed.values, async ({ accounts }) => {
    const result = await kind.revoke(accounts, user, id);
    switch (result.kind) {
      case 'revoked':
        writeLine(io.stderr, `Revoked ${kind.noun} ${id} of "${user}"; it no longer signs in.`);
        return EXIT.ok;
      case 'no-user':
        return reportMissingUser(io, accounts, user);
      case 'not-found':
        return failure(io, `"${user}" has no ${kind.noun} with id "${id}"; 'holdfast ${kind.name} list ${user}' shows them`);
    }
  });
}
