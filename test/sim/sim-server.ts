// The simulation's server: the real store in a data directory, the real accounts service
// and the real HTTP app (called through app.inject, so no sockets), with the real backup
// (a TargetShipper to a directory target) and the real restore (restoreToPointInTime,
// which starts a new generation of the same store id). A server "replaced by an empty
// one" is a new data directory: a new store id, the user created again.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createAccounts } from '../../src/accounts/create-accounts.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { restoreToPointInTime } from '../../src/backup/restore.ts';
import { TargetShipper } from '../../src/backup/ship.ts';
import { openBackupSource, type BackupSource } from '../../src/backup/sqlite-source.ts';
import type { BackupTarget } from '../../src/backup/target.ts';
import { buildServer } from '../../src/server/build-server.ts';
import { createCommitBatches, type CommitBatches } from '../../src/server/commit-batches.ts';
import { createLogger } from '../../src/server/logger.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store, UserStore } from '../../src/store/store.ts';
import type { Revision } from '../../src/store/types.ts';
import { testConfig } from '../server/harness.ts';

export const USER = 'alice';

export interface SimServer {
  /** Which server this is in the run (0, 1, …): a restore or a replacement makes a new one. */
  index: number;
  dataDir: string;
  store: Store;
  userStore: UserStore;
  app: FastifyInstance;
  token: string;
  shipper: TargetShipper;
  source: BackupSource;
  /** Shared by every generation of one store id (a restore reads it and a new shipper follows on). */
  target: BackupTarget;
  /** Sequences the backup holds for this generation, oldest first: restore points. */
  backupPoints: number[];
}

export interface SimServerContext {
  root: string;
  now: () => Date;
  /** A new number for each server's directory. */
  nextIndex: () => number;
}

// Argon2 is slow on purpose; the simulation makes its user many times, so it hashes once.
let passwordHash: Promise<string> | undefined;

async function serve(
  ctx: SimServerContext,
  opened: { index: number; dataDir: string; store: Store; commitBatches: CommitBatches },
  target: BackupTarget,
  token: string | null,
): Promise<SimServer> {
  const { index, dataDir, store, commitBatches } = opened;
  const accounts = createAccounts(store.accounts, { now: ctx.now });
  let secret = token;
  if (secret === null) {
    passwordHash ??= hashPassword('simulation password, not used to sign in');
    const created = await store.accounts.createUser(USER, await passwordHash);
    if (created.kind !== 'created') throw new Error(`the simulation could not create its user: ${created.kind}`);
    const made = await accounts.createToken(USER, 'simulation');
    if (made.kind !== 'created') throw new Error(`the simulation could not make a token: ${made.kind}`);
    secret = made.secret;
  }
  const user = await store.accounts.getUserByName(USER);
  if (!user) throw new Error(`the server at ${dataDir} has no user ${USER}`);
  const config = testConfig(dataDir, { logLevel: 'fatal' });
  // With the store's commit batches passed in: without them the app polls on a timer that
  // outlives it, and thousands of seeds would leave thousands of servers running.
  const app = await buildServer({ store, accounts, config, commitBatches, indexPhotos: false, logger: createLogger('fatal', () => undefined), now: ctx.now });
  await app.ready();
  const source = openBackupSource(dataDir);
  const shipper = new TargetShipper(target, { store, source, now: ctx.now });
  const server: SimServer = { index, dataDir, store, userStore: store.forUser(user.id), app, token: secret, shipper, source, target, backupPoints: [] };
  await backUp(server);
  return server;
}

/** A new, empty server: a new store id, the user created again, a backup target of its own. */
export async function startEmptyServer(ctx: SimServerContext): Promise<SimServer> {
  const index = ctx.nextIndex();
  const dataDir = join(ctx.root, `server-${index}`);
  const commitBatches = createCommitBatches();
  const opened = await openStore({ dataDir, initializeIfEmpty: true, now: ctx.now, onBatch: commitBatches.observe });
  if (opened.kind !== 'opened') throw new Error(`the simulation's store was refused: ${opened.reason}`);
  const backupDir = join(ctx.root, `backup-${index}`);
  await mkdir(backupDir, { recursive: true });
  return serve(ctx, { index, dataDir, store: opened.store, commitBatches }, await openDirectoryTarget(backupDir), null);
}

/** Ships everything the store holds to its backup target: a new restore point. */
export async function backUp(server: SimServer): Promise<number> {
  const pass = await server.shipper.pass();
  if (server.backupPoints.at(-1) !== pass.shippedSeq) server.backupPoints.push(pass.shippedSeq);
  return pass.shippedSeq;
}

/** The store restored from its backup at sequence `seq` into a new directory, served: a new
 * generation, the same store id, the same user and token (they are in the backup). The old
 * server is left running; the caller closes the one it does not keep. */
export async function restoreServer(ctx: SimServerContext, from: SimServer, seq: number): Promise<SimServer> {
  const index = ctx.nextIndex();
  const dataDir = join(ctx.root, `server-${index}`);
  const restored = await restoreToPointInTime({ target: from.target, to: dataDir, point: { kind: 'seq', seq }, now: ctx.now });
  if (restored.kind !== 'restored') throw new Error(`restoring sequence ${seq} failed: ${JSON.stringify(restored)}`);
  const commitBatches = createCommitBatches();
  const opened = await openStore({ dataDir, initializeIfEmpty: false, now: ctx.now, onBatch: commitBatches.observe });
  if (opened.kind !== 'opened') throw new Error(`the restored store was refused: ${opened.reason}`);
  return serve(ctx, { index, dataDir, store: opened.store, commitBatches }, from.target, from.token);
}

export async function closeServer(server: SimServer, closeTarget: boolean): Promise<void> {
  await server.app.close();
  server.source.close();
  await server.store.close();
  if (closeTarget) await server.target.close();
}

/** Every revision the server holds for the user, in log order. */
export async function serverRevisions(server: SimServer): Promise<Revision[]> {
  const revisions: Revision[] = [];
  let after = 0;
  for (;;) {
    const page = await server.userStore.changesSince({ after, limit: 1000 });
    for (const change of page) if (change.kind === 'revision') revisions.push(change.revision);
    if (page.length < 1000) return revisions;
    after = page[page.length - 1]?.seq ?? after;
  }
}

export async function serverIdentity(server: SimServer): Promise<{ storeId: string; generation: number; sequence: number }> {
  return server.store.identity();
}
