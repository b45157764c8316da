// Resumable uploads over tus 1.0.0 (https://tus.io/protocols/resumable-upload) at
// /api/v1/uploads: core, creation, creation-with-upload, termination, checksum and
// expiration. See docs/uploads.md. An upload belongs to the user who made it: to anyone
// else it does not exist (404), so an upload's URL tells nothing to another account.
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { signedIn } from '../server/authenticate.ts';
import { isClientAbort } from '../server/request-log.ts';
import { overQuotaMessage } from '../store/over-quota-message.ts';
import type { UserStore } from '../store/store.ts';
import { finishUpload } from './finish-upload.ts';
import { TusError, tusErrorHandler } from './tus-errors.ts';
import {
  CHECKSUM_ALGORITHMS,
  TUS_VERSION,
  checkChunkMediaType,
  checkTusResumable,
  contentLength,
  uploadChecksum,
  uploadLength,
  uploadMetadata,
  uploadOffset,
  uploadTarget,
} from './tus-headers.ts';
import { checkDestination } from './upload-destination.ts';
import { UPLOAD_ID, openUploadDirectory, type UploadDirectory, type UploadState } from './upload-directory.ts';

export const TUS_EXTENSIONS = ['creation', 'creation-with-upload', 'termination', 'checksum', 'expiration'] as const;
/** Unfinished uploads one user may hold at once: enough for a phone uploading in
 * parallel, few enough that abandoned uploads cannot fill the disk. */
export const MAX_UNFINISHED_UPLOADS = 50;
const SWEEP_INTERVAL_MS = 15 * 60 * 1000;
const AUTHOR = 'tus';

export interface TusUploadOptions {
  authenticate: onRequestAsyncHookHandler;
  dataDir: string;
  maxUploadBytes: number;
  expiryHours: number;
  /** The clock expiry is measured by (tests move it instead of waiting). */
  now?: () => Date;
}

type IdParams = { Params: { id: string } };

async function* bodyChunks(request: FastifyRequest): AsyncIterable<Uint8Array> {
  for await (const chunk of request.raw as AsyncIterable<unknown>) {
    if (!(chunk instanceof Uint8Array)) throw new Error('the request stream yielded something other than bytes');
    yield chunk;
  }
}

const httpDate = (iso: string) => new Date(iso).toUTCString();

export async function tusUploads(app: FastifyInstance, options: TusUploadOptions): Promise<void> {
  const now = options.now ?? (() => new Date());
  const uploads = await openUploadDirectory(join(options.dataDir, 'uploads'), {
    now,
    expiryMs: options.expiryHours * 3600 * 1000,
    warn: (message) => app.log.warn(message),
  });
  await sweep(app, uploads);
  const sweeper = setInterval(() => void sweep(app, uploads), SWEEP_INTERVAL_MS);
  sweeper.unref();
  app.addHook('onClose', async () => clearInterval(sweeper));

  app.setErrorHandler(tusErrorHandler);
  // Chunks are read from the raw request as they arrive, never buffered by a parser.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('tus-resumable', TUS_VERSION);
    return payload;
  });

  const announce = (_request: FastifyRequest, reply: FastifyReply) =>
    reply
      .code(204)
      .header('tus-version', TUS_VERSION)
      .header('tus-extension', TUS_EXTENSIONS.join(','))
      .header('tus-max-size', String(options.maxUploadBytes))
      .header('tus-checksum-algorithm', Object.keys(CHECKSUM_ALGORITHMS).join(','))
      .send();
  // What the server supports tells nothing about anyone's data: no sign-in needed.
  app.options('/', announce);
  app.options('/:id', announce);

  const signedInRoute = { onRequest: options.authenticate };

  /** The upload, if it is this user's and still alive; otherwise a 404 or 410. */
  const owned = async (request: FastifyRequest<IdParams>): Promise<UploadState> => {
    const { user } = signedIn(request);
    const { id } = request.params;
    const state = UPLOAD_ID.test(id) ? uploads.get(id) : undefined;
    if (!state || state.userId !== user.id) {
      throw new TusError('upload-not-found', 'There is no such upload: it was terminated, or it expired. Start a new upload with POST /api/v1/uploads.');
    }
    if (uploads.isExpired(state)) {
      const stored = state.storedRevision !== null;
      const release = uploads.lock(id);
      if (release) {
        try {
          await uploads.remove(id);
          request.log.info({ upload: id }, 'expired upload removed');
        } finally {
          release();
        }
      }
      if (stored) throw new TusError('upload-not-found', 'This upload finished and its record expired; the file is in your store.');
      throw new TusError('upload-expired', `This upload expired at ${httpDate(state.expiresAt)} and its bytes were deleted; start it again with POST /api/v1/uploads.`);
    }
    return state;
  };

  const lockOrBusy = (id: string): (() => void) => {
    const release = uploads.lock(id);
    if (!release) throw new TusError('upload-busy', 'Another request is writing to this upload right now; wait for it to end, then HEAD the upload and resume.');
    return release;
  };

  /** Writes a request's bytes and, after the last byte, puts the file into the store. */
  const receive = async (request: FastifyRequest, userStore: UserStore, id: string): Promise<UploadState | 'stored'> => {
    const checksum = uploadChecksum(request.headers);
    const before = uploads.get(id)?.offset ?? 0;
    let appended: Awaited<ReturnType<UploadDirectory['append']>>;
    try {
      appended = await uploads.append(id, bodyChunks(request), checksum);
    } catch (error) {
      if (!isClientAbort(request, error)) throw error;
      const offset = uploads.get(id)?.offset ?? 0;
      request.log.info({ upload: id, offset, kept: offset - before }, 'upload request cut off; the bytes that arrived are kept (unless a checksum could not be verified) and HEAD tells where to resume');
      throw error;
    }
    switch (appended.kind) {
      case 'checksum-mismatch':
        throw new TusError('checksum-mismatch', `The bytes of this request do not match its Upload-Checksum; they were discarded and the upload is still at byte ${appended.state.offset}. Send them again.`);
      case 'too-long':
        throw new TusError('upload-too-large', `This request carried more bytes than the upload has left (it is ${appended.state.length} bytes long); they were discarded and the upload is still at byte ${appended.state.offset}.`, { connection: 'close' });
      case 'appended':
        if (!appended.complete) return appended.state;
        await finish(request, userStore, appended.state);
        return 'stored';
    }
  };

  const finish = async (request: FastifyRequest, userStore: UserStore, state: UploadState): Promise<void> => {
    const { id, target } = state;
    const result = await finishUpload(userStore, state, uploads.readData(id), { author: AUTHOR, maxBytes: options.maxUploadBytes });
    const where = `"${target.collection}/${target.name}"`;
    switch (result.kind) {
      case 'stored':
        await uploads.markStored(id, result.write.revision.id);
        request.log.info({ upload: id, collection: target.collection, item: target.name, revision: result.write.revision.id, size: result.write.revision.size }, 'upload stored');
        return;
      case 'checksum-mismatch':
        // Every byte arrived but the file is not the one the client meant: resuming
        // cannot fix that, so the upload goes too.
        await uploads.remove(id);
        request.log.warn({ upload: id, expected: result.expected, actual: result.actual }, 'upload refused: whole-file SHA-256 mismatch');
        throw new TusError('checksum-mismatch', `The uploaded file's SHA-256 is ${result.actual}, not the ${result.expected} given in Upload-Metadata; nothing was stored and the upload was discarded. Upload the file again.`);
      case 'destination-refused':
        throw new TusError('destination-conflict', `${result.message} Every byte arrived; once that is fixed, resume the upload (it asks for its last byte again) to store it as ${where}.`);
      case 'write-refused':
        switch (result.write.kind) {
          case 'no-collection':
            throw new TusError('destination-conflict', `The folder "${target.collection}" was deleted while the file was uploading. Recreate it and resume the upload (it asks for its last byte again).`);
          case 'too-large':
            await uploads.remove(id);
            throw new TusError('upload-too-large', `The file is larger than the store accepts (${result.write.limit} bytes); nothing was stored.`);
          case 'revision-id-taken':
            // The file was stored once (then the server crashed before recording it), and
            // the last byte sent again differs from the first time.
            throw new TusError('destination-conflict', `This upload was already stored as ${where}, with a different last byte than the one sent now; nothing was changed.`);
          case 'over-quota':
            // Kept: every byte arrived, and once the user has made room, resuming (which asks
            // for the last byte again) stores it without sending the file again.
            throw new TusError('over-quota', `${overQuotaMessage(result.write)} The upload is kept until it expires: after making room, resume it to store ${where}.`);
          case 'precondition-failed':
          case 'key-conflict':
            // An upload sets no precondition, revision id or unique key.
            throw new Error(`the store answered ${result.write.kind} to an upload's write, which sets nothing that could cause it`);
          default: {
            // A new refusal from the store must get its own answer here.
            const unhandled: never = result.write;
            throw new Error(`the store refused an upload with ${JSON.stringify(unhandled)}`);
          }
        }
    }
  };

  app.post('/', signedInRoute, async (request, reply) => {
    const { user, userStore } = signedIn(request);
    checkTusResumable(request.headers);
    const length = uploadLength(request.headers, options.maxUploadBytes);
    const target = uploadTarget(uploadMetadata(request.headers));
    const withBytes = request.headers['content-type'] !== undefined;
    if (withBytes) checkChunkMediaType(request.headers);
    const declared = contentLength(request.headers);
    if (withBytes && declared !== undefined && declared > length) {
      throw new TusError('upload-too-large', `The request carries ${declared} bytes but the upload is ${length} bytes long.`, { connection: 'close' });
    }
    const destination = await checkDestination(userStore, target);
    if (destination.kind === 'refused') throw new TusError('destination-conflict', destination.message);
    await sweep(app, uploads);
    if (uploads.countFor(user.id) >= MAX_UNFINISHED_UPLOADS) {
      throw new TusError('upload-forbidden', `You have ${MAX_UNFINISHED_UPLOADS} unfinished uploads, the most one account may hold. Finish or terminate (DELETE) some; unfinished uploads also expire after ${options.expiryHours} hours without progress.`);
    }

    const state = await uploads.create({ userId: user.id, length, target, metadataHeader: String(request.headers['upload-metadata'] ?? '') });
    request.log.info({ upload: state.id, collection: target.collection, item: target.name, length }, 'upload created');
    const release = lockOrBusy(state.id);
    try {
      let outcome: UploadState | 'stored' = state;
      if (length === 0) {
        await finish(request, userStore, state);
        outcome = 'stored';
      } else if (withBytes) {
        outcome = await receive(request, userStore, state.id);
      }
      reply.code(201).header('location', `${app.prefix}/${state.id}`);
      if (outcome === 'stored') return reply.header('upload-offset', String(length)).send();
      if (withBytes) reply.header('upload-offset', String(outcome.offset));
      return reply.header('upload-expires', httpDate(outcome.expiresAt)).send();
    } catch (error) {
      // The client never learnt this upload's URL, so it could not resume it: a failed
      // creation leaves nothing behind.
      if (uploads.get(state.id)) await uploads.remove(state.id);
      throw error;
    } finally {
      release();
    }
  });

  app.head<IdParams>('/:id', signedInRoute, async (request, reply) => {
    checkTusResumable(request.headers);
    const state = await owned(request);
    reply
      .code(200)
      .header('cache-control', 'no-store')
      .header('upload-offset', String(state.offset))
      .header('upload-length', String(state.length))
      .header('upload-expires', httpDate(state.expiresAt));
    if (state.metadataHeader !== '') reply.header('upload-metadata', state.metadataHeader);
    return reply.send();
  });

  app.patch<IdParams>('/:id', signedInRoute, async (request, reply) => {
    const { userStore } = signedIn(request);
    checkTusResumable(request.headers);
    checkChunkMediaType(request.headers);
    const offset = uploadOffset(request.headers);
    const declared = contentLength(request.headers);
    uploadChecksum(request.headers);
    const state = await owned(request);
    if (state.storedRevision !== null) {
      // The file is stored; a client that lost the final answer may ask again.
      if (offset !== state.length) {
        throw new TusError('offset-mismatch', `This upload is complete and stored (${state.length} bytes); there is nothing more to send.`, { 'upload-offset': String(state.length) });
      }
      if (declared !== undefined && declared > 0) {
        throw new TusError('upload-too-large', `This upload is complete and stored (${state.length} bytes); it takes no more bytes.`, { connection: 'close' });
      }
      return reply.code(204).header('upload-offset', String(state.length)).send();
    }
    if (offset !== state.offset) {
      throw new TusError('offset-mismatch', `The upload is at byte ${state.offset}, not ${offset}; send the bytes from ${state.offset} on (HEAD tells the offset).`, {
        'upload-offset': String(state.offset),
      });
    }
    if (declared !== undefined && offset + declared > state.length) {
      throw new TusError('upload-too-large', `The request carries ${declared} bytes from byte ${offset}, past the upload's length of ${state.length}; nothing was written.`, { connection: 'close' });
    }
    const release = lockOrBusy(state.id);
    try {
      const outcome = await receive(request, userStore, state.id);
      if (outcome === 'stored') return reply.code(204).header('upload-offset', String(state.length)).send();
      return reply.code(204).header('upload-offset', String(outcome.offset)).header('upload-expires', httpDate(outcome.expiresAt)).send();
    } finally {
      release();
    }
  });

  app.delete<IdParams>('/:id', signedInRoute, async (request, reply) => {
    checkTusResumable(request.headers);
    const state = await owned(request);
    const release = lockOrBusy(state.id);
    try {
      await uploads.remove(state.id);
    } finally {
      release();
    }
    request.log.info({ upload: state.id }, 'upload terminated');
    return reply.code(204).send();
  });
}

async function sweep(app: FastifyInstance, uploads: UploadDirectory): Promise<void> {
  try {
    const removed = await uploads.sweepExpired();
    if (removed > 0) app.log.info({ removed }, 'expired unfinished uploads removed');
  } catch (error) {
    app.log.error({ err: error }, 'sweeping expired uploads failed; it is tried again on the next upload');
  }
}
