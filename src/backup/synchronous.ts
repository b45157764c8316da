// Synchronous backup: a write is answered only once every backup target holds it, so no
// acknowledged write can be lost with the data directory. The store is wrapped at the
// boundary the protocols use (`forUser`), so every write method of every protocol waits.
import type { Store, UserStore } from '../store/store.ts';
import type { BackupFollower } from './follower.ts';

/** Every UserStore method, said to read or to write. A Record over the interface's keys, so
 * a method added to UserStore does not compile until it is classed here: a write that
 * slipped through unclassed would be acknowledged before the targets hold it. */
const METHODS: Record<Exclude<keyof UserStore, 'userId'>, 'read' | 'write'> = {
  listCollections: 'read',
  getCollection: 'read',
  createCollection: 'write',
  updateCollection: 'write',
  importCollectionProps: 'write',
  deleteCollection: 'write',
  restoreCollection: 'write',
  moveCollection: 'write',
  copyCollection: 'write',
  listItems: 'read',
  getItem: 'read',
  putItem: 'write',
  deleteItem: 'write',
  moveItem: 'write',
  copyItem: 'write',
  setItemProps: 'write',
  getRevision: 'read',
  readContent: 'read',
  history: 'read',
  restoreRevision: 'write',
  listTrash: 'read',
  undelete: 'write',
  hasContent: 'read',
  changesSince: 'read',
  usage: 'read',
  importRevision: 'write',
  listConflicts: 'read',
  resolveConflict: 'write',
  importConflicts: 'write',
  conflictSummary: 'read',
  latestSequence: 'read',
};

const isWrite = (property: string): boolean => (METHODS as Record<string, 'read' | 'write' | undefined>)[property] === 'write';

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
        if (typeof property !== 'string' || !isWrite(property) || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          await confirm();
          return result;
        };
      },
    });
  return { ...store, forUser: (userId: number) => wrapUser(store.forUser(userId)) };
}
