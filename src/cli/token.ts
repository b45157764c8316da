// `holdfast token …`: bearer tokens for the HTTP API (scripts, the web app's helpers).
import { credentialCommand } from './credential-commands.ts';
import { STORE_OPTIONS_USAGE } from './open-data-store.ts';

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

export const tokenCommand = credentialCommand({
  name: 'token',
  summary: 'bearer tokens for the HTTP API',
  usage: USAGE,
  noun: 'token',
  plural: 'tokens',
  expires: true,
  create: (accounts, user, label, options) => accounts.createToken(user, label, options),
  list: (accounts, user) => accounts.listTokens(user),
  revoke: (accounts, user, id) => accounts.revokeToken(user, id),
  createdMessage: (user, credential) => {
    const expiry = credential.expiresAt === null ? 'until it is revoked' : `until ${credential.expiresAt}`;
    return `Created token ${credential.id} for "${user}", valid ${expiry}. It is shown once, here:`;
  },
});
