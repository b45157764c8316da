// The last step of an upload: its bytes go into the user's store with putItem, the same
// write a WebDAV PUT makes, checked on the way against the whole file's SHA-256 if the
// client gave one. The check fails the stream at its end, before the store commits, so a
// file that does not match is never stored (and its blob is not kept).
import { createHash } from 'node:crypto';
import type { UserStore } from '../store/store.ts';
import type { WriteResult } from '../store/types.ts';
import { prepareDestination } from './upload-destination.ts';
import type { UploadState } from './upload-directory.ts';

export type FinishResult =
  | { kind: 'stored'; write: Extract<WriteResult, { kind: 'written' | 'unchanged' }> }
  | { kind: 'checksum-mismatch'; expected: string; actual: string }
  | { kind: 'destination-refused'; message: string }
  /** The store said no (the folder vanished meanwhile, the file is too large…). */
  | { kind: 'write-refused'; write: Exclude<WriteResult, { kind: 'written' | 'unchanged' }> };

class WholeFileMismatch extends Error {
  readonly actual: string;

  constructor(actual: string) {
    super(`the upload's SHA-256 is ${actual}`);
    this.actual = actual;
  }
}

async function* verified(source: AsyncIterable<Uint8Array>, expected: string | null): AsyncIterable<Uint8Array> {
  const hash = createHash('sha256');
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
  const actual = hash.digest('hex');
  if (expected !== null && actual !== expected) throw new WholeFileMismatch(actual);
}

export async function finishUpload(
  userStore: UserStore,
  state: UploadState,
  data: AsyncIterable<Uint8Array>,
  options: { author: string; maxBytes: number },
): Promise<FinishResult> {
  const { target } = state;
  const destination = await prepareDestination(userStore, target);
  if (destination.kind === 'refused') return { kind: 'destination-refused', message: destination.message };
  let write: WriteResult;
  try {
    write = await userStore.putItem(target.collection, target.name, verified(data, target.sha256), {
      contentType: target.contentType,
      author: options.author,
      maxBytes: options.maxBytes,
      // One revision id per upload: if the server stored the file but crashed before it
      // recorded that, the client's retry of the last byte stores nothing twice.
      revisionId: `tus-${state.id}`,
    });
  } catch (error) {
    if (error instanceof WholeFileMismatch) return { kind: 'checksum-mismatch', expected: target.sha256 ?? '', actual: error.actual };
    throw error;
  }
  if (write.kind === 'written' || write.kind === 'unchanged') return { kind: 'stored', write };
  return { kind: 'write-refused', write };
}
