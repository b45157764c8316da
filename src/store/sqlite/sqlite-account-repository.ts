// Users and their credentials in SQLite. Writes go through the group committer like every
// other write, so an acknowledged new user or revoked password is durable. A new user gets
// the default collections in the same transaction.
import type { AccountRepository, CreateUserResult, Credential, CredentialKind } from '../store.ts';
import { DEFAULT_COLLECTIONS } from '../default-collections.ts';
import { StoreInputError } from '../names.ts';
import type { SqliteContext } from './context.ts';
import { userQueries } from './user-queries.ts';
import { toCredential, toUser } from './rows.ts';
import type { CredentialRow, UserRow } from './rows.ts';

const USER_COLUMNS = 'id, name, created_at, deleted_at, quota_bytes';
const CREDENTIAL_COLUMNS = 'id, user_id, kind, label, created_at, last_used_at, expires_at, revoked_at';

export function createSqliteAccountRepository(ctx: SqliteContext): AccountRepository {
  const userById = (id: number) => ctx.sql(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`).get(id) as UserRow | undefined;
  const userByName = (name: string) =>
    ctx.sql(`SELECT ${USER_COLUMNS} FROM users WHERE name = ?`).get(name) as UserRow | undefined;

  return {
    createUser(name, passwordHash) {
      return ctx.committer.run((): CreateUserResult => {
        const existing = userByName(name);
        if (existing) return { kind: 'name-taken', user: toUser(existing) };
        const id = Number(
          ctx
            .sql('INSERT INTO users (name, password_hash, created_at) VALUES (?, ?, ?)')
            .run(name, passwordHash, ctx.now()).lastInsertRowid,
        );
        const collections = userQueries(ctx, id);
        for (const collection of DEFAULT_COLLECTIONS) collections.insertCollection({ ...collection, parent: null });
        return { kind: 'created', user: toUser(userById(id) as UserRow) };
      });
    },

    async getUser(id) {
      const row = userById(id);
      return row ? toUser(row) : null;
    },

    async getUserByName(name, options) {
      const row = userByName(name);
      if (!row || (row.deleted_at !== null && !options?.includeDeleted)) return null;
      return toUser(row);
    },

    async listUsers(options) {
      const rows = ctx
        .sql(
          options?.includeDeleted
            ? `SELECT ${USER_COLUMNS} FROM users ORDER BY name`
            : `SELECT ${USER_COLUMNS} FROM users WHERE deleted_at IS NULL ORDER BY name`,
        )
        .all() as UserRow[];
      return rows.map(toUser);
    },

    async passwordHash(userId) {
      const row = ctx.sql('SELECT password_hash FROM users WHERE id = ?').get(userId) as { password_hash: string } | undefined;
      return row?.password_hash ?? null;
    },

    setPasswordHash(userId, passwordHash) {
      return ctx.committer.run(
        () => ctx.sql('UPDATE users SET password_hash = ? WHERE id = ?').run(passwordHash, userId).changes === 1,
      );
    },

    deleteUser(userId) {
      return ctx.committer.run(
        () => ctx.sql('UPDATE users SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(ctx.now(), userId).changes === 1,
      );
    },

    restoreUser(userId) {
      return ctx.committer.run(
        () => ctx.sql('UPDATE users SET deleted_at = NULL WHERE id = ? AND deleted_at IS NOT NULL').run(userId).changes === 1,
      );
    },

    setQuota(userId, quotaBytes) {
      if (quotaBytes !== null && (!Number.isSafeInteger(quotaBytes) || quotaBytes < 0)) {
        throw new StoreInputError(`a quota is a whole number of bytes, 0 or more, or null for the server's default; got ${quotaBytes}`);
      }
      return ctx.committer.run(() => ctx.sql('UPDATE users SET quota_bytes = ? WHERE id = ?').run(quotaBytes, userId).changes === 1);
    },

    addCredential(input) {
      return ctx.committer.run((): Credential => {
        ctx
          .sql(
            `INSERT INTO credentials (id, user_id, kind, label, secret_hash, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(input.id, input.userId, input.kind, input.label, input.secretHash, ctx.now(), input.expiresAt);
        return toCredential(ctx.sql(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE id = ?`).get(input.id) as CredentialRow);
      });
    },

    async findCredential(kind: CredentialKind, secretHash: string) {
      const row = ctx
        .sql(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE kind = ? AND secret_hash = ? AND revoked_at IS NULL`)
        .get(kind, secretHash) as CredentialRow | undefined;
      return row ? toCredential(row) : null;
    },

    async listCredentials(userId, kind) {
      const rows = ctx
        .sql(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials WHERE user_id = ? AND kind = ? ORDER BY created_at, id`)
        .all(userId, kind) as CredentialRow[];
      return rows.map(toCredential);
    },

    revokeCredential(userId, credentialId) {
      return ctx.committer.run(
        () =>
          ctx
            .sql('UPDATE credentials SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL')
            .run(ctx.now(), credentialId, userId).changes === 1,
      );
    },

    async touchCredential(credentialId, at) {
      await ctx.committer.run(() => ctx.sql('UPDATE credentials SET last_used_at = ? WHERE id = ?').run(at, credentialId));
    },
  };
}
