// The accounts service: users, app passwords, tokens and sign-in, over an AccountRepository.
// Secrets never leave this module except once, in the result that creates them; the
// repository only ever sees their hashes.
import type { Accounts, AuthResult, CreateSecretResult, RevokeResult, UserChangeResult } from './accounts.ts';
import type { AccountRepository, Credential, CredentialKind } from '../store/store.ts';
import type { User } from '../store/types.ts';
import { checkPasswordStrength, hashPassword, verifyAgainstDummyHash, verifyPassword } from './passwords.ts';
import { createLoginRateLimiter } from './rate-limiter.ts';
import type { LoginAttempt, RateLimitOptions } from './rate-limiter.ts';
import { appPasswordHash, newAppPassword, newCredentialId, newToken, tokenHash } from './secrets.ts';
import { checkUserName } from './user-names.ts';

const MAX_LABEL_LENGTH = 100;
const LAST_USED_RESOLUTION_MS = 60_000;
const DEFAULT_LABELS: Record<CredentialKind, string> = { 'app-password': 'app password', token: 'token' };

export function createAccounts(
  repository: AccountRepository,
  options: { rateLimit?: Partial<RateLimitOptions>; now?: () => Date } = {},
): Accounts {
  const now = options.now ?? (() => new Date());
  const limiter = createLoginRateLimiter(options.rateLimit, now);

  /** A live credential of `kind` by its hash: found, not revoked (the repository checks
   * that), not expired, and belonging to a user who is not deleted. */
  async function liveCredential(kind: CredentialKind, hash: string | null): Promise<Credential | null> {
    if (hash === null) return null;
    const credential = await repository.findCredential(kind, hash);
    if (!credential || credential.revokedAt !== null) return null;
    if (credential.expiresAt !== null && Date.parse(credential.expiresAt) <= now().getTime()) return null;
    return credential;
  }

  // A failure to record the last use must not fail the sign-in it belongs to. A DAV client
  // authenticates every request; recording each use would add a write to every read, so a
  // use is recorded at most once a minute per credential.
  function recordUse(credential: Credential): void {
    const at = now();
    if (credential.lastUsedAt !== null && at.getTime() - Date.parse(credential.lastUsedAt) < LAST_USED_RESOLUTION_MS) return;
    repository.touchCredential(credential.id, at.toISOString()).catch(() => undefined);
  }

  async function checkBasic(userName: string, secret: string): Promise<AuthResult> {
    // Looked up before the user, so known and unknown names cost the same queries.
    const credential = await liveCredential('app-password', appPasswordHash(secret));
    const user = await repository.getUserByName(userName);
    if (!user) {
      await verifyAgainstDummyHash(secret); // take as long as a real check: names stay secret
      return { kind: 'invalid' };
    }
    if (credential && credential.userId === user.id) {
      recordUse(credential);
      return { kind: 'ok', user, via: 'app-password', credentialId: credential.id };
    }
    const passwordHash = await repository.passwordHash(user.id);
    if (passwordHash === null) {
      await verifyAgainstDummyHash(secret);
      return { kind: 'invalid' };
    }
    if (!(await verifyPassword(passwordHash, secret))) return { kind: 'invalid' };
    return { kind: 'ok', user, via: 'password', credentialId: null };
  }

  async function checkBearer(token: string): Promise<AuthResult> {
    const credential = await liveCredential('token', tokenHash(token));
    if (!credential) return { kind: 'invalid' };
    const user = await repository.getUser(credential.userId);
    if (!user || user.deletedAt !== null) return { kind: 'invalid' };
    recordUse(credential);
    return { kind: 'ok', user, via: 'token', credentialId: credential.id };
  }

  /** Runs a check under the rate limiter. A limited attempt is refused before the secret
   * is looked at, so an attacker who is limited learns nothing from it. */
  async function underRateLimit(attempt: LoginAttempt, check: () => Promise<AuthResult>): Promise<AuthResult> {
    if (attempt.kind === 'limited') return { kind: 'rate-limited', retryAfterSeconds: attempt.retryAfterSeconds };
    let result: AuthResult;
    try {
      result = await check();
    } catch (error) {
      attempt.abandoned(); // the store failed; that is not a wrong guess
      throw error;
    }
    if (result.kind === 'ok') attempt.succeeded();
    return result;
  }

  async function createSecret(
    kind: CredentialKind,
    userName: string,
    label: string,
    expiresAt: string | null,
  ): Promise<CreateSecretResult> {
    const user = await repository.getUserByName(userName);
    if (!user) return { kind: 'no-user' };
    const { secret, hash } = kind === 'app-password' ? newAppPassword() : newToken();
    const credential = await repository.addCredential({
      id: newCredentialId(),
      userId: user.id,
      kind,
      label: cleanLabel(label, DEFAULT_LABELS[kind]),
      secretHash: hash,
      expiresAt,
    });
    return { kind: 'created', credential, secret };
  }

  async function listSecrets(userName: string, kind: CredentialKind): Promise<Credential[] | null> {
    const user = await repository.getUserByName(userName);
    return user ? repository.listCredentials(user.id, kind) : null;
  }

  async function revokeSecret(userName: string, kind: CredentialKind, credentialId: string): Promise<RevokeResult> {
    const user = await repository.getUserByName(userName);
    if (!user) return { kind: 'no-user' };
    // The repository revokes by id alone; look it up first so that revoking an "app
    // password" cannot revoke a token that happens to have that id, or the reverse.
    const credential = (await repository.listCredentials(user.id, kind)).find((c) => c.id === credentialId);
    if (!credential) return { kind: 'not-found' };
    if (credential.revokedAt !== null) return { kind: 'revoked' }; // already: revoking is idempotent
    return (await repository.revokeCredential(user.id, credentialId)) ? { kind: 'revoked' } : { kind: 'not-found' };
  }

  /** The user again after a change, so callers see `deletedAt` as it now is. */
  async function reread(user: User): Promise<UserChangeResult> {
    const fresh = await repository.getUser(user.id);
    return fresh ? { kind: 'done', user: fresh } : { kind: 'no-user' };
  }

  return {
    async addUser(name, password) {
      const badName = checkUserName(name);
      if (badName !== null) return { kind: 'invalid-name', message: badName };
      const weak = checkPasswordStrength(password, name);
      if (weak !== null) return { kind: 'weak-password', message: weak };
      const created = await repository.createUser(name, await hashPassword(password));
      return created.kind === 'created' ? created : { kind: 'name-taken' };
    },

    listUsers: (listOptions) => repository.listUsers(listOptions),

    async setPassword(name, password) {
      const user = await repository.getUserByName(name);
      if (!user) return { kind: 'no-user' };
      const weak = checkPasswordStrength(password, name);
      if (weak !== null) return { kind: 'weak-password', message: weak };
      if (!(await repository.setPasswordHash(user.id, await hashPassword(password)))) return { kind: 'no-user' };
      return reread(user);
    },

    async deleteUser(name) {
      const user = await repository.getUserByName(name);
      if (!user) return { kind: 'no-user' };
      await repository.deleteUser(user.id);
      return reread(user);
    },

    async restoreUser(name) {
      const user = await repository.getUserByName(name, { includeDeleted: true });
      if (!user) return { kind: 'no-user' };
      // Restoring a live user changes nothing and is not an error.
      if (user.deletedAt !== null) await repository.restoreUser(user.id);
      return reread(user);
    },

    createAppPassword: (userName, label) => createSecret('app-password', userName, label, null),
    listAppPasswords: (userName) => listSecrets(userName, 'app-password'),
    revokeAppPassword: (userName, credentialId) => revokeSecret(userName, 'app-password', credentialId),

    createToken(userName, label, tokenOptions) {
      const ttl = tokenOptions?.ttlSeconds;
      if (ttl !== undefined && !(Number.isFinite(ttl) && ttl > 0)) {
        throw new RangeError(`a token's ttlSeconds must be a positive number of seconds, not ${ttl}`);
      }
      const expiresAt = ttl === undefined ? null : new Date(now().getTime() + ttl * 1000).toISOString();
      return createSecret('token', userName, label, expiresAt);
    },
    listTokens: (userName) => listSecrets(userName, 'token'),
    revokeToken: (userName, credentialId) => revokeSecret(userName, 'token', credentialId),

    authenticateBasic(userName, secret, clientKey) {
      // Names are lowercase only, and phones capitalise the first letter of a login field:
      // "Alice" signs in as alice rather than failing as an unknown name.
      const name = userName.toLowerCase();
      return underRateLimit(limiter.begin(name, clientKey), () => checkBasic(name, secret));
    },
    authenticateBearer: (token, clientKey) => underRateLimit(limiter.begin(null, clientKey), () => checkBearer(token)),
  };
}

/** Trimmed, at most 100 characters (whole characters, so an emoji is never cut in half),
 * and the default when nothing is left. */
function cleanLabel(label: string, fallback: string): string {
  const characters = [...label.trim()];
  if (characters.length === 0) return fallback;
  return characters.slice(0, MAX_LABEL_LENGTH).join('').trimEnd();
}
