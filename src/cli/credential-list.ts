// How `app-password list` and `token list` show credentials: never a secret (the store
// keeps only hashes), always enough to pick the one to revoke.
import type { Credential } from '../store/store.ts';
import { writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { formatTable, formatTime } from './layout.ts';

export function printCredentials(io: CliIo, credentials: Credential[], options: { json: boolean; showExpiry: boolean }): void {
  if (options.json) {
    writeLine(io.stdout, JSON.stringify(credentials.map((credential) => credentialJson(credential, options.showExpiry)), null, 2));
    return;
  }
  const header = ['ID', 'LABEL', 'CREATED', 'LAST USED', ...(options.showExpiry ? ['EXPIRES'] : []), 'REVOKED'];
  const rows = credentials.map((credential) => [
    credential.id,
    credential.label === '' ? '-' : credential.label,
    credential.createdAt,
    formatTime(credential.lastUsedAt),
    ...(options.showExpiry ? [formatTime(credential.expiresAt)] : []),
    formatTime(credential.revokedAt),
  ]);
  io.stdout.write(formatTable(header, rows));
}

interface CredentialJson {
  id: string;
  label: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt?: string | null;
  revokedAt: string | null;
}

// Fields picked one by one, so a field added to Credential later is not published
// here without a decision.
function credentialJson(credential: Credential, showExpiry: boolean): CredentialJson {
  return {
    id: credential.id,
    label: credential.label,
    createdAt: credential.createdAt,
    lastUsedAt: credential.lastUsedAt,
    ...(showExpiry ? { expiresAt: credential.expiresAt } : {}),
    revokedAt: credential.revokedAt,
  };
}
