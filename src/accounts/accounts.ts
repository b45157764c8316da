// What the rest of Holdfast asks of accounts: users, their passwords, app passwords for
// Basic-auth clients (phones, Thunderbird), bearer tokens for the API, and sign-in with
// rate limiting. Implemented in ./create-accounts.ts over an AccountRepository.
import type { Credential } from '../store/store.ts';
import type { User } from '../store/types.ts';

export type AddUserResult =
  | { kind: 'created'; user: User }
  | { kind: 'name-taken' }
  | { kind: 'invalid-name'; message: string }
  | { kind: 'weak-password'; message: string };

export type UserChangeResult = { kind: 'done'; user: User } | { kind: 'no-user' } | { kind: 'weak-password'; message: string };

export type CreateSecretResult =
  | { kind: 'created'; credential: Credential; /** shown once, never stored */ secret: string }
  | { kind: 'no-user' };

export type RevokeResult = { kind: 'revoked' } | { kind: 'no-user' } | { kind: 'not-found' };

export type AuthResult =
  | { kind: 'ok'; user: User; via: 'password' | 'app-password' | 'token'; credentialId: string | null }
  | { kind: 'invalid' }
  | { kind: 'rate-limited'; retryAfterSeconds: number };

export interface Accounts {
  addUser(name: string, password: string): Promise<AddUserResult>;
  listUsers(options?: { includeDeleted?: boolean }): Promise<User[]>;
  setPassword(name: string, password: string): Promise<UserChangeResult>;
  /** Marks the user deleted (cannot sign in); their data is kept and `restoreUser` undoes it. */
  deleteUser(name: string): Promise<UserChangeResult>;
  restoreUser(name: string): Promise<UserChangeResult>;

  createAppPassword(userName: string, label: string): Promise<CreateSecretResult>;
  listAppPasswords(userName: string): Promise<Credential[] | null>;
  revokeAppPassword(userName: string, credentialId: string): Promise<RevokeResult>;

  createToken(userName: string, label: string, options?: { ttlSeconds?: number }): Promise<CreateSecretResult>;
  listTokens(userName: string): Promise<Credential[] | null>;
  revokeToken(userName: string, credentialId: string): Promise<RevokeResult>;

  /** HTTP Basic: the user's password or one of their app passwords. `clientKey` (the
   * remote address) scopes rate limiting together with the user name. */
  authenticateBasic(userName: string, secret: string, clientKey: string): Promise<AuthResult>;
  authenticateBearer(token: string, clientKey: string): Promise<AuthResult>;
}
