// `holdfast app-password …`: the passwords phones and desktop apps use over Basic auth
// (CardDAV, CalDAV, WebDAV), one per device, so losing a phone means revoking one.
import { credentialCommand } from './credential-commands.ts';
import { STORE_OPTIONS_USAGE } from './open-data-store.ts';

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

export const appPasswordCommand = credentialCommand({
  name: 'app-password',
  summary: 'passwords for phones and apps that sign in with Basic auth',
  usage: USAGE,
  noun: 'app password',
  plural: 'app passwords',
  expires: false,
  create: (accounts, user, label) => accounts.createAppPassword(user, label),
  list: (accounts, user) => accounts.listAppPasswords(user),
  revoke: (accounts, user, id) => accounts.revokeAppPassword(user, id),
  createdMessage: (user, credential) =>
    `Created app password ${credential.id} for "${user}". Sign in with the user name "${user}" ` +
    'and this password; it is shown once, here:',
});
