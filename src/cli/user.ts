// `holdfast user …`: add, list, passwd, quota, delete, restore.
import { parseArgs } from 'node:util';
import { checkUserName } from '../accounts/user-names.ts';
import { parseSize } from '../server/config-options.ts';
import type { User, UserUsage } from '../store/types.ts';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, runSubcommand, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes, formatTable, formatTime } from './layout.ts';
import { reportMissingUser } from './missing-user.ts';
import { obtainNewPassword } from './new-password.ts';
import type { NewPassword } from './new-password.ts';
import { askYesNo } from './prompt.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE, withAccounts } from './open-data-store.ts';
import type { StoreFlags } from './open-data-store.ts';

const USAGE = `Usage:
  holdfast user add NAME [--password-stdin]
  holdfast user list [--json]
  holdfast user passwd NAME [--password-stdin]
  holdfast user quota NAME SIZE|none
  holdfast user delete NAME [--yes]
  holdfast user restore NAME

Manage the people who can sign in.

  add        Create a user. The password is read from stdin with --password-stdin
             (its first line), asked for twice at a terminal, or otherwise generated
             and printed once on stdout.
  list       Every user, deleted ones included, with when they were created and deleted,
             what their content takes and the quota that applies to them.
  passwd     Set a user's password; it is obtained the same way as for add.
  quota      Set how much content a user may keep: a size in bytes or with a unit
             (500MiB, 10GiB, 2TiB), or none for the server's default (the
             defaultQuotaBytes setting; unset, no limit). Only live content counts,
             not the trash or history. Nothing is deleted when it is lowered: writes
             that would add content are refused until there is room.
  delete     Stop a user from signing in. Their data is kept, and
             'holdfast user restore NAME' undoes it. Asks first at a terminal;
             a script must pass --yes.
  restore    Let a deleted user sign in again, with all their data.

Options:
  --password-stdin   read the password from the first line of stdin
  --json             (list) print a JSON array instead of a table
  --yes, -y          (delete) do not ask for confirmation
${STORE_OPTIONS_USAGE}  --help, -h         show this help
`;

export const userCommand: Command = {
  name: 'user',
  summary: 'add, list, delete and restore users; set their passwords and quotas',
  usage: USAGE,
  run: (args, io) => runSubcommand(io, 'user', USAGE, { add, list, passwd, quota, delete: remove, restore }, args),
};

async function add(args: string[], io: CliIo): Promise<number> {
  const parsed = parseNewPasswordArgs(args, io);
  if (parsed.kind === 'exit') return parsed.code;
  const { name } = parsed;
  // The service checks these too; checking first spares typing a password twice in vain.
  const badName = checkUserName(name);
  if (badName !== null) return failure(io, badName);
  return withAccounts(io, parsed.storeFlags, async ({ accounts, store }) => {
    if ((await store.accounts.getUserByName(name, { includeDeleted: true })) !== null) return nameTaken(io, name);
    const password = await parsed.obtainPassword();
    if (password.kind === 'failed') return failure(io, password.message);
    const result = await accounts.addUser(name, password.password);
    switch (result.kind) {
      case 'created':
        writeLine(io.stderr, `Created user "${name}".`);
        if (password.kind === 'generated') showGeneratedPassword(io, name, password.password);
        return EXIT.ok;
      case 'name-taken':
        return nameTaken(io, name);
      case 'invalid-name':
        return failure(io, result.message);
      case 'weak-password':
        return failure(io, `${result.message} Nothing was changed.`);
    }
  });
}

async function list(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, [], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION, json: { type: 'boolean' } }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  return withAccounts(io, parsed.values, async ({ accounts, store }) => {
    const users = await accounts.listUsers({ includeDeleted: true });
    const listed = await Promise.all(users.map(async (user) => ({ user, usage: await store.forUser(user.id).usage() })));
    if (parsed.values.json === true) {
      writeLine(io.stdout, JSON.stringify(listed.map(userJson), null, 2));
    } else if (users.length === 0) {
      writeLine(io.stderr, "No users yet; 'holdfast user add NAME' creates one.");
    } else {
      io.stdout.write(
        formatTable(
          ['NAME', 'CREATED', 'DELETED', 'USED', 'QUOTA'],
          listed.map(({ user, usage }) => [user.name, user.createdAt, formatTime(user.deletedAt), formatBytes(usage.usedBytes), quotaCell(user, usage)]),
        ),
      );
    }
    return EXIT.ok;
  });
}

async function passwd(args: string[], io: CliIo): Promise<number> {
  const parsed = parseNewPasswordArgs(args, io);
  if (parsed.kind === 'exit') return parsed.code;
  const { name } = parsed;
  return withAccounts(io, parsed.storeFlags, async ({ accounts, store }) => {
    // Check the name before asking for a password that would be thrown away.
    if ((await store.accounts.getUserByName(name)) === null) return reportMissingUser(io, accounts, name);
    const password = await parsed.obtainPassword();
    if (password.kind === 'failed') return failure(io, password.message);
    const result = await accounts.setPassword(name, password.password);
    switch (result.kind) {
      case 'done':
        writeLine(io.stderr, `Set a new password for "${name}".`);
        if (password.kind === 'generated') showGeneratedPassword(io, name, password.password);
        return EXIT.ok;
      case 'no-user':
        return reportMissingUser(io, accounts, name);
      case 'weak-password':
        return failure(io, `${result.message} Nothing was changed.`);
    }
  });
}

async function quota(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['NAME', 'SIZE'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [name = '', sizeText = ''] = parsed.positionals;
  const quotaBytes = sizeText.toLowerCase() === 'none' ? null : parseSize(sizeText);
  if (quotaBytes === undefined || (quotaBytes !== null && !Number.isSafeInteger(quotaBytes))) {
    return usageError(io, `SIZE must be a number of bytes or a number with a unit (500MiB, 10GiB, 2TiB), or none; got "${sizeText}"`, USAGE);
  }
  return withAccounts(io, parsed.values, async ({ accounts, store }) => {
    const user = await store.accounts.getUserByName(name);
    if (user === null || !(await store.accounts.setQuota(user.id, quotaBytes))) return reportMissingUser(io, accounts, name);
    writeLine(io.stderr, describeNewQuota(name, quotaBytes, await store.forUser(user.id).usage()));
    return EXIT.ok;
  });
}

function describeNewQuota(name: string, own: number | null, usage: UserUsage): string {
  const applies = usage.quotaBytes === null ? 'no limit' : `${formatBytes(usage.quotaBytes)} (${usage.quotaBytes} bytes)`;
  const set = own === null ? `"${name}" has no quota of their own now: the server's default applies, ${applies}.` : `Set the quota of "${name}" to ${applies}.`;
  const used = `They use ${formatBytes(usage.usedBytes)}.`;
  if (usage.quotaBytes === null || usage.usedBytes <= usage.quotaBytes) return `${set} ${used}`;
  return (
    `${set} ${used} That is over the quota: nothing is deleted, but writes that add content are refused ` +
    'until they delete enough (the trash and history do not count).'
  );
}

async function remove(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['NAME'], () =>
    parseArgs({
      args,
      options: { ...STORE_OPTIONS, ...HELP_OPTION, yes: { type: 'boolean', short: 'y' } },
      strict: true,
      allowPositionals: true,
    }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [name = ''] = parsed.positionals;
  const consequences =
    `"${name}" will no longer be able to sign in, with their password, app passwords or tokens. ` +
    `Their data is kept, and 'holdfast user restore ${name}' undoes this.`;
  return withAccounts(io, parsed.values, async ({ accounts, store }) => {
    if ((await store.accounts.getUserByName(name)) === null) return reportMissingUser(io, accounts, name);
    if (parsed.values.yes !== true) {
      if (!io.isTTY) {
        return failure(io, `not deleted: there is no terminal to ask for confirmation on, so pass --yes.\n${consequences}`);
      }
      writeLine(io.stderr, consequences);
      const confirmed = await askYesNo(io, `Delete user "${name}"?`);
      if (!confirmed) return failure(io, `not deleted; "${name}" is unchanged`);
    }
    const result = await accounts.deleteUser(name);
    switch (result.kind) {
      case 'done':
        writeLine(io.stderr, `Deleted user "${name}". Their data is kept; 'holdfast user restore ${name}' undoes this.`);
        return EXIT.ok;
      case 'no-user':
        return reportMissingUser(io, accounts, name);
      case 'weak-password':
        // Not an outcome of a delete; listed so the switch stays exhaustive.
        return failure(io, result.message);
    }
  });
}

async function restore(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['NAME'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [name = ''] = parsed.positionals;
  return withAccounts(io, parsed.values, async ({ accounts, store }) => {
    // Restoring a user who is not deleted changes nothing; say so, but it is not a failure.
    if ((await store.accounts.getUserByName(name)) !== null) {
      writeLine(io.stderr, `"${name}" is not deleted; nothing to restore.`);
      return EXIT.ok;
    }
    const result = await accounts.restoreUser(name);
    switch (result.kind) {
      case 'done':
        writeLine(io.stderr, `Restored user "${name}"; they can sign in again.`);
        return EXIT.ok;
      case 'no-user':
        return reportMissingUser(io, accounts, name);
      case 'weak-password':
        return failure(io, result.message);
    }
  });
}

/**
 * The arguments of `user add` and `user passwd`, NAME [--password-stdin], and the password
 * they ask for: `obtainPassword` reads or generates it, to be called once the name is checked.
 */
function parseNewPasswordArgs(
  args: string[],
  io: CliIo,
): { kind: 'exit'; code: number } | { kind: 'parsed'; name: string; storeFlags: StoreFlags; obtainPassword: () => Promise<NewPassword> } {
  const parsed = parseCommandArgs(io, USAGE, ['NAME'], () =>
    parseArgs({
      args,
      options: { ...STORE_OPTIONS, ...HELP_OPTION, 'password-stdin': { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    }),
  );
  if (parsed.kind === 'exit') return parsed;
  const [name = ''] = parsed.positionals;
  const fromStdin = parsed.values['password-stdin'] === true;
  return { kind: 'parsed', name, storeFlags: parsed.values, obtainPassword: () => obtainNewPassword(io, { fromStdin, userName: name }) };
}

function nameTaken(io: CliIo, name: string): number {
  return failure(io, `a user named "${name}" already exists; 'holdfast user list' shows the users (deleted ones too)`);
}

/** The password alone on stdout (so `pw=$(holdfast user add bob)` works), the rest on stderr. */
function showGeneratedPassword(io: CliIo, name: string, password: string): void {
  writeLine(io.stderr, `Generated a password for "${name}". It is shown once, here, and cannot be shown again:`);
  writeLine(io.stdout, password);
}

/** "10.0 GiB", "10.0 GiB (default)" when it is the server's, "none" without a limit. */
function quotaCell(user: User, usage: UserUsage): string {
  if (usage.quotaBytes === null) return 'none';
  return user.quotaBytes === null ? `${formatBytes(usage.quotaBytes)} (default)` : formatBytes(usage.quotaBytes);
}

// Fields picked one by one, so a field added to User later is not published without a decision.
function userJson({ user, usage }: { user: User; usage: UserUsage }): {
  name: string;
  createdAt: string;
  deletedAt: string | null;
  usedBytes: number;
  quotaBytes: number | null;
  ownQuotaBytes: number | null;
} {
  return {
    name: user.name,
    createdAt: user.createdAt,
    deletedAt: user.deletedAt,
    usedBytes: usage.usedBytes,
    // The quota that applies (null: no limit), and the user's own (null: the default applies).
    quotaBytes: usage.quotaBytes,
    ownQuotaBytes: user.quotaBytes,
  };
}
