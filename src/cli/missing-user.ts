// The one message for "no such user", which also points at `restore` when the name
// belongs to a deleted user (a deleted user keeps their name and their data).
import type { Accounts } from '../accounts/accounts.ts';
import { failure } from './command.ts';
import type { CliIo } from './io.ts';

export async function reportMissingUser(io: CliIo, accounts: Accounts, name: string): Promise<number> {
  const users = await accounts.listUsers({ includeDeleted: true });
  if (users.some((user) => user.name === name && user.deletedAt !== null)) {
    return failure(io, `user "${name}" is deleted; 'holdfast user restore ${name}' brings them back`);
  }
  return failure(io, `no user named "${name}"; 'holdfast user list' shows the users`);
}
