// Synchronous backup: a write is answered only once every backup target holds it, so no
// acknowledged write can be lost with the data directory. The store is wrapped at the
// boundary the protocols use (`forUser`), so every write method of every protocol waits.
import type { Store, UserStore } from '../store/store.ts';
import type { BackupFollower } from './follower.ts';

/** The UserStore methods that change something. */
const WRITES = new Set<string>([
  'createCollection',
  'updateCollection',
  'deleteCollection',
  'restoreCollection',
  'moveCollection',
  'copyCollection',
  'putItem',
  'deleteItem',
  'moveItem',
  'copyItem',
  'setItemProps',
  'restoreRevision',
  'undelete',
]);

export const SYNCHRONOUS_TIMEOUT_MS = 30_000;

/** The write is committed locally but a target did not confirm it: it was not acknowledged. */
export class BackupNotConfirmedError extends Error {
  constructor(seconds: number) {
    super(
      `the write is stored on this server, but a backup target did not confirm it within ${seconds} s (backupMode is sync), ` +
        'so it is not acknowledged; the server log and /metrics (holdfast_backup_target_healthy) say which target',
    );
    this.name = 'BackupNotConfirmedError';
  }
}

export function withSynchronousBackup(store: Store, follower: BackupFollower, timeoutMs = SYNCHRONOUS_TIMEOUT_MS): Store {
  const confirm = async () => {
    const { sequence } = await store.identity();
    if (!(await follower.waitForShipped(sequence, timeoutMs))) throw new BackupNotConfirmedError(timeoutMs / 1000);
  };
  const wrapUser = (user: UserStore): UserStore =>
    new Proxy(user, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !WRITES.has(property) || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          await confirm();
          return result;
        };
      },
    });
  return { ...store, forUser: (userId: number) => wrapUser(store.forUser(userId)) };
}
