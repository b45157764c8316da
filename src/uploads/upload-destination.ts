// Where a finished upload lands: an item in one of the user's files collections, the same
// place a WebDAV PUT of that path writes. The top folder ("files") must exist already;
// missing folders below it are created when the upload finishes (not before, so an
// abandoned upload leaves nothing behind), as a phone's backup app expects when it sends
// "files/Camera/2024-06/IMG_0001.HEIC" into a new month.
import type { UserStore } from '../store/store.ts';
import type { UploadTarget } from './tus-headers.ts';

export type DestinationCheck = { kind: 'ok'; missing: string[] } | { kind: 'refused'; message: string };

const KIND_NAMES: Record<string, string> = {
  contacts: 'an address book',
  calendar: 'a calendar',
  tasks: 'a task list',
  notes: 'a notebook',
  records: 'a record collection',
};

/** Whether the upload may land at its target, and which folders would have to be made. */
export async function checkDestination(userStore: UserStore, target: UploadTarget): Promise<DestinationCheck> {
  const segments = target.collection.split('/');
  for (let depth = 1; depth <= segments.length; depth += 1) {
    const path = segments.slice(0, depth).join('/');
    const collection = await userStore.getCollection(path);
    if (!collection) {
      if (depth === 1) {
        return {
          kind: 'refused',
          message:
            `You have no folder "${path}". Uploads go into a files folder: create it first ` +
            `(MKCOL on /dav/<user>/${path}/, or PUT /api/v1/collections/${encodeURIComponent(path)} with kind "files").`,
        };
      }
      return { kind: 'ok', missing: segments.slice(depth - 1).map((_, i) => segments.slice(0, depth + i).join('/')) };
    }
    if (collection.kind !== 'files') {
      return {
        kind: 'refused',
        message: `"${path}" is ${KIND_NAMES[collection.kind] ?? `a ${collection.kind} collection`}, not a files folder; upload files into a files folder instead.`,
      };
    }
  }
  if (await userStore.getCollection(`${target.collection}/${target.name}`)) {
    return { kind: 'refused', message: `"${target.collection}/${target.name}" is a folder; an upload cannot replace a folder. Choose another name.` };
  }
  return { kind: 'ok', missing: [] };
}

/** Checks the target again (folders may have changed while the bytes arrived) and makes
 * the missing folders. */
export async function prepareDestination(userStore: UserStore, target: UploadTarget): Promise<DestinationCheck> {
  const check = await checkDestination(userStore, target);
  if (check.kind === 'refused') return check;
  for (const path of check.missing) {
    const slash = path.lastIndexOf('/');
    const created = await userStore.createCollection({ name: path.slice(slash + 1), kind: 'files', parent: path.slice(0, slash) });
    if (created.kind === 'no-parent' || created.collection.kind !== 'files') {
      return { kind: 'refused', message: `The folder "${path}" could not be made: its parent was deleted or replaced meanwhile. Check the folder and resume the upload.` };
    }
  }
  return check;
}
