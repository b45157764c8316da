// The device side of docs/sync.md: local reads and writes that work offline, and syncOnce()
// that pushes the outbox, pulls from the cursor, heals a server that forgot, and pauses
// before a pull that would change much of the replica at once.
import { fromBase64, randomHex, sha256Hex, toBase64, utf8ToBase64 } from './portable.ts';
import { createMassChangeGuard } from './mass-change-guard.ts';
import { itemRevisions, trashedItems, type TrashedItem } from './item-history.ts';
import { applyCollectionPatch, collectionPatchProblem, combineCollectionPatches } from './collection-props.ts';
import {
  followServerPaths,
  forgetServerIds,
  healCollections,
  healDeletes,
  pendingCollections,
  recordCollectionResults,
  recordServerCollection,
  type CollectionRefusal,
  type CollectionResult,
  type PushedCollection,
  type ServerCollection,
} from './collection-sync.ts';
import type { ReplicaCollection, ReplicaCollectionPropsPatch, ReplicaConflict, ReplicaItem, ReplicaRevision, ReplicaStore } from './replica.ts';

export type SyncAuth = { basic: { user: string; password: string } } | { bearer: string };

export interface SyncClientOptions {
  serverUrl: string;
  auth: SyncAuth;
  replica: ReplicaStore;
  /** Names this device in revision ids and authors: 1–64 of A–Z a–z 0–9 . _ - */
  deviceId: string;
  fetch?: typeof globalThis.fetch;
  /** A pull that would delete or overwrite more than this share of the local items pauses (default 0.3). */
  massChangeShare?: number;
  /** The guard applies only when the replica holds at least this many live items (default 10). */
  massChangeMinItems?: number;
  /** Items changed by pulls this recently count towards the guard's share too (default 10 minutes). */
  massChangeWindowMs?: number;
  /** Makes the id of each local revision (default: the device id, the time and random bytes).
   * Ids must be globally unique; a deterministic simulation passes its own. */
  newRevisionId?: () => string;
  /** The clock local revisions are stamped with (default: the system clock). */
  now?: () => Date;
}

export interface ConflictReport {
  revisionId: string;
  collectionPath: string;
  item: string;
  winner: 'pushed' | 'server';
  loserRevisionId: string;
  fields: string[];
}

export interface RefusalReport {
  revisionId: string;
  collectionPath: string;
  item: string;
  reason: string;
  message: string;
}

export interface SyncReport {
  pushed: number;
  pulled: number;
  healed: boolean;
  /** How many revisions the heal pushed back to the server. */
  healPushed: number;
  /** How many conflict marks the heal put back on the server (it had forgotten them). */
  healConflicts: number;
  conflicts: ConflictReport[];
  refused: RefusalReport[];
  /** Collection property changes the server took from this device, and those it refused. */
  collections: { pushed: number; refused: CollectionRefusal[] };
  paused?: { paused: 'mass-change'; deletes: number; overwrites: number };
}

/** A revision that lost a conflict on the server, kept in its item's history until resolved. */
export interface OpenConflict {
  revisionId: string;
  winnerRevisionId: string;
  collectionPath: string | null;
  itemName: string;
  at: string;
  /** The losing revision as the server holds it (its content is in the replica's log or on the server). */
  revision: RevisionJson | null;
}

export type SyncEvent = 'synced' | 'conflict' | 'healed' | 'paused' | 'error' | 'changed';

interface RevisionJson {
  id: string;
  collectionId: number;
  collectionPath: string | null;
  itemName: string;
  parentId: string | null;
  deleted: boolean;
  contentHash: string | null;
  contentType: string | null;
  author: string;
  createdAt: string;
}

type ChangeJson =
  | { seq: number; type: 'collection'; collection: ServerCollection }
  | { seq: number; type: 'revision'; revision: RevisionJson; content: { base64: string } | { href: string } | null };

interface HandshakeJson {
  storeId: string;
  generation: number;
  sequence: number;
  collections: ServerCollection[];
  /** Absent from a server older than this SDK. */
  conflicts?: { open: number; fingerprint: string };
  limits: { pullChanges: number; pushRevisions: number; missingRevisionIds: number; inlineContentBytes: number; blobBytes: number };
}

interface PushResultJson {
  id: string;
  result: 'applied' | 'already-applied' | 'merged' | 'conflict' | 'refused';
  winner?: 'pushed' | 'server';
  loserRevisionId?: string;
  fields?: string[];
  reason?: string;
  message?: string;
}

/** Thrown for an answer the client cannot go on from; the message says what the server said. */
export class SyncError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SyncError';
  }
}

class ServerForgot extends Error {}

const DEVICE_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Content a pull holds in memory before it commits a batch to the replica. */
const PULL_BATCH_BYTES = 8 * 1024 * 1024;

export function createSyncClient(options: SyncClientOptions) {
  if (!DEVICE_ID.test(options.deviceId)) throw new Error(`deviceId "${options.deviceId}" must be 1–64 of A–Z a–z 0–9 . _ -`);
  const { replica, deviceId } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.serverUrl.replace(/\/+$/, '');
  const authorization =
    'bearer' in options.auth
      ? `Bearer ${options.auth.bearer}`
      : `Basic ${utf8ToBase64(`${options.auth.basic.user}:${options.auth.basic.password}`)}`;
  const guard = createMassChangeGuard({
    share: options.massChangeShare ?? 0.3,
    minItems: options.massChangeMinItems ?? 10,
    windowMs: options.massChangeWindowMs ?? 10 * 60_000,
    now: options.now ? () => (options.now as () => Date)().getTime() : undefined,
  });
  const listeners = new Map<SyncEvent, Set<(detail: unknown) => void>>();
  let counter = 0;

  function emit(event: SyncEvent, detail: unknown) {
    for (const listener of listeners.get(event) ?? []) listener(detail);
  }

  const now = options.now ?? (() => new Date());
  function newRevisionId(): string {
    if (options.newRevisionId) return options.newRevisionId();
    counter = (counter + 1) % 1e6;
    return `${deviceId}-${Date.now().toString(36)}-${counter.toString(36)}-${randomHex(8)}`;
  }

  async function request(method: string, path: string, body?: unknown, raw?: Uint8Array): Promise<Response> {
    const headers: Record<string, string> = { authorization };
    let payload: string | Uint8Array<ArrayBuffer> | undefined;
    if (raw) {
      headers['content-type'] = 'application/octet-stream';
      // The DOM's fetch takes no view on a SharedArrayBuffer: content never is one, but its type allows it.
      payload = raw.buffer instanceof ArrayBuffer ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) : new Uint8Array(raw);
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    try {
      return await doFetch(`${base}${path}`, { method, headers, body: payload ?? null });
    } catch (error) {
      // Offline, DNS, refused, or (in a browser) a CORS refusal: fetch says only "failed".
      const why = error instanceof Error ? error.message : String(error);
      throw new SyncError(`cannot reach the server at ${base} (${method} ${path.split('?')[0]}: ${why}); nothing is lost: local writes wait in the outbox for the next sync`, undefined, { cause: error });
    }
  }

  async function expectJson<T>(response: Response, what: string): Promise<T> {
    if (response.ok) return (await response.json()) as T;
    const text = await response.text();
    throw new SyncError(`${what} failed: HTTP ${response.status} ${text.slice(0, 300)}`, response.status);
  }

  async function writeLocal(collectionPath: string, kind: string, name: string, content: Uint8Array | null, contentType: string | null) {
    // The first write into a collection the device has not seen makes it known, so
    // collections() lists it offline and a heal brings it back. A write into a deleted one
    // makes it again (on the server, a new collection at that path; the old one stays in the
    // trash), and cancels a delete not yet sent.
    const known = await replica.getCollection(collectionPath);
    if (!known || known.deleted) {
      await replica.updateCollection(collectionPath, (current) =>
        current && !current.deleted
          ? undefined
          : {
              path: collectionPath,
              kind,
              serverId: current?.pendingDelete ? current.serverId : null,
              props: current?.pendingDelete ? current.props : {},
              pendingProps: current?.pendingDelete ? current.pendingProps : null,
              deleted: false,
              pendingDelete: false,
            },
      );
    }
    const current = await replica.getItem(collectionPath, name);
    const revision: ReplicaRevision = {
      id: newRevisionId(),
      collectionPath,
      kind,
      item: name,
      // A new item after a delete is written on the tombstone, as the server expects.
      parentId: current?.headId ?? null,
      deleted: content === null,
      content,
      contentHash: content ? await sha256Hex(content) : null,
      contentType,
      author: `device:${deviceId}`,
      createdAt: now().toISOString(),
      local: true,
      state: 'pending',
      refusal: null,
    };
    await replica.addRevision(revision, true);
    // Committed first: a listener that syncs at once finds the revision in the outbox.
    emit('changed', { collectionPath, item: name, revisionId: revision.id, deleted: revision.deleted });
    return revision.id;
  }

  // The server needs vCard and iCalendar content inline (it validates it in the push).
  const INLINE_KINDS = new Set(['contacts', 'calendar', 'tasks']);
  const travelsInline = (revision: ReplicaRevision, inlineLimit: number) =>
    INLINE_KINDS.has(revision.kind) || (revision.content?.byteLength ?? 0) <= inlineLimit;

  function toPushed(revision: ReplicaRevision, inlineLimit: number) {
    const pushed: Record<string, unknown> = {
      id: revision.id,
      collection: { path: revision.collectionPath, kind: revision.kind },
      item: revision.item,
      baseRevisionId: revision.parentId,
      deleted: revision.deleted,
      author: revision.author,
      createdAt: revision.createdAt,
    };
    if (revision.contentType) pushed.contentType = revision.contentType;
    if (revision.content && revision.contentHash) {
      pushed.contentHash = revision.contentHash;
      if (travelsInline(revision, inlineLimit)) pushed.content = toBase64(revision.content);
    }
    return pushed;
  }

  /** Pushes revisions oldest first, large content uploaded first; records each result. */
  async function pushRevisions(revisions: ReplicaRevision[], handshake: HandshakeJson, report: SyncReport): Promise<number> {
    let count = 0;
    const inlineLimit = handshake.limits.inlineContentBytes;
    const batchSize = Math.max(1, handshake.limits.pushRevisions);
    for (let start = 0; start < revisions.length; start += batchSize) {
      // A revision listed without its content (a heal walks the log that way) is loaded now.
      const batch: ReplicaRevision[] = [];
      for (const listed of revisions.slice(start, start + batchSize)) {
        batch.push(listed.contentHash && !listed.content ? ((await replica.getRevision(listed.id)) ?? listed) : listed);
      }
      for (const revision of batch) {
        if (revision.content && revision.contentHash && !travelsInline(revision, inlineLimit)) {
          await expectJson(await request('PUT', `/api/v1/sync/blobs/${revision.contentHash}`, undefined, revision.content), `uploading ${revision.item}`);
        }
      }
      const answer = await expectJson<{ results: PushResultJson[] }>(
        await request('POST', '/api/v1/sync/push', { revisions: batch.map((r) => toPushed(r, inlineLimit)) }),
        'push',
      );
      for (const [index, result] of answer.results.entries()) {
        const revision = batch[index];
        if (!revision) continue;
        if (result.result === 'refused') {
          await replica.setState(revision.id, 'refused', `${result.reason ?? 'refused'}: ${result.message ?? ''}`);
          // A stale delete deleted nothing: the item goes back to the revision the delete was
          // made on, and the pull brings the newer edits the server has on top of it.
          if (result.reason === 'stale-delete' && revision.parentId) {
            const parent = await replica.getRevision(revision.parentId);
            const item = await replica.getItem(revision.collectionPath, revision.item);
            if (parent && item?.headId === revision.id) await replica.addRevision(parent, true);
          }
          report.refused.push({
            revisionId: revision.id,
            collectionPath: revision.collectionPath,
            item: revision.item,
            reason: result.reason ?? 'refused',
            message: result.message ?? '',
          });
          continue;
        }
        // merged and conflict: the server stored this revision; the merged or winning head arrives on the pull.
        await replica.setState(revision.id, 'acked');
        count += 1;
        if (result.result === 'conflict') {
          const conflict: ConflictReport = {
            revisionId: revision.id,
            collectionPath: revision.collectionPath,
            item: revision.item,
            winner: result.winner ?? 'server',
            loserRevisionId: result.loserRevisionId ?? '',
            fields: result.fields ?? [],
          };
          report.conflicts.push(conflict);
          emit('conflict', conflict);
        }
      }
    }
    return count;
  }

  /** Pushes collection property changes (POST /collections), 100 at a time, and records what the server took. */
  async function pushCollections(pushed: PushedCollection[], report: SyncReport): Promise<void> {
    for (let start = 0; start < pushed.length; start += 100) {
      const batch = pushed.slice(start, start + 100);
      const response = await request('POST', '/api/v1/sync/collections', { collections: batch });
      // A server older than this SDK: the changes wait on the device until it can take them.
      if (response.status === 404) return;
      const answer = await expectJson<{ results: CollectionResult[] }>(response, 'pushing collection properties');
      const recorded = await recordCollectionResults(replica, batch, answer.results);
      report.collections.pushed += recorded.pushed;
      report.collections.refused.push(...recorded.refused);
    }
  }

  async function contentOf(change: Extract<ChangeJson, { type: 'revision' }>): Promise<Uint8Array | null> {
    if (change.content === null) return null;
    let bytes: Uint8Array;
    if ('base64' in change.content) bytes = fromBase64(change.content.base64);
    else {
      const response = await request('GET', change.content.href);
      if (!response.ok) throw new SyncError(`fetching the content of ${change.revision.itemName} failed: HTTP ${response.status}`, response.status);
      bytes = new Uint8Array(await response.arrayBuffer());
    }
    if (change.revision.contentHash && (await sha256Hex(bytes)) !== change.revision.contentHash) {
      throw new SyncError(`the content of ${change.revision.itemName} (${change.revision.id}) does not match its hash; sync again to fetch it again`);
    }
    return bytes;
  }

  /**
   * Pulls every page's metadata from the cursor, plans which revisions become heads, and
   * applies the plan unless the mass-change guard pauses. Content is fetched only while
   * applying, a bounded batch at a time, so a pull of many large photos never holds them all
   * in memory; each batch is one transaction, and the cursor moves only with the last batch
   * of its page (a crash part way pulls that page again, and revisions already held are
   * skipped).
   */
  /** Pulls every page after the cursor; answers how many changes the server sent. */
  async function pull(handshake: HandshakeJson, report: SyncReport): Promise<number> {
    const saved = await replica.getCursor();
    let cursor = saved?.cursor ?? null;
    let sequence = handshake.sequence;
    const collections = new Map(handshake.collections.map((c) => [c.id, c]));
    const pages: { changes: ChangeJson[]; startCursor: string | null; endCursor: string }[] = [];
    for (;;) {
      const query = new URLSearchParams({ limit: String(handshake.limits.pullChanges) });
      if (cursor) query.set('cursor', cursor);
      const response = await request('GET', `/api/v1/sync/changes?${query.toString()}`);
      if (response.status === 409) throw new ServerForgot();
      const page = await expectJson<{ changes: ChangeJson[]; more: boolean; cursor: string }>(response, 'pull');
      pages.push({ changes: page.changes, startCursor: cursor, endCursor: page.cursor });
      cursor = page.cursor;
      for (const change of page.changes) sequence = Math.max(sequence, change.seq);
      if (!page.more) break;
    }

    // The collections' state as of this pull, each at its last change: the device follows
    // renames first, since the revisions name the collections' current paths.
    const lastChange = new Map<number, number>();
    for (const page of pages) for (const change of page.changes) if (change.type === 'collection') lastChange.set(change.collection.id, change.seq);
    const latest = pages.flatMap((page) => page.changes).filter((c): c is Extract<ChangeJson, { type: 'collection' }> => c.type === 'collection' && lastChange.get(c.collection.id) === c.seq);
    if (latest.length > 0) await followServerPaths(replica, latest.map((c) => c.collection));

    // Plan: which revisions become heads, then how many live local items the plan changes.
    // Revisions the device already holds still count: they put the head back where the log
    // ends (after a conflict the server writes the winner last; a pull from the start after a
    // heal walks each item through its history).
    type Step = { makeHead: boolean } & ({ known: true; id: string } | { known: false; change: Extract<ChangeJson, { type: 'revision' }>; collectionPath: string; kind: string });
    const planned: Step[][] = [];
    const seen = new Set<string>();
    const heads = new Map<string, { initialId: string; initialLive: boolean; headId: string; deleted: boolean; pending: boolean }>();
    for (const page of pages) {
      const steps: Step[] = [];
      planned.push(steps);
      for (const change of page.changes) {
        if (change.type === 'collection') {
          collections.set(change.collection.id, change.collection);
          continue;
        }
        const r = change.revision;
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        const collection = collections.get(r.collectionId);
        const collectionPath = r.collectionPath ?? collection?.path;
        if (!collectionPath) continue; // a collection this device never saw; it comes with its next change
        const key = `${collectionPath}\u0000${r.itemName}`;
        let head = heads.get(key);
        if (!head) {
          const item = await replica.getItem(collectionPath, r.itemName);
          const headState = item ? await replica.revisionState(item.headId) : undefined;
          head = item
            ? { initialId: item.headId, initialLive: !item.deleted, headId: item.headId, deleted: item.deleted, pending: headState === 'pending' }
            : { initialId: '', initialLive: false, headId: '', deleted: true, pending: false };
          heads.set(key, head);
        }
        let makeHead: boolean;
        if (r.id === head.headId) makeHead = false;
        else if (!head.headId || r.parentId === head.headId) makeHead = true;
        else if (head.pending) makeHead = false; // the local edit goes up with the next push and merges there
        else makeHead = !r.deleted; // a later server revision wins, but only a tombstone on the local head deletes
        if (makeHead) {
          head.headId = r.id;
          head.deleted = r.deleted;
          head.pending = false;
        }
        if (await replica.revisionState(r.id)) {
          if (makeHead) steps.push({ known: true, id: r.id, makeHead });
          continue;
        }
        steps.push({ known: false, makeHead, change, collectionPath, kind: collection?.kind ?? 'files' });
      }
    }

    // The live local items this pull changes: key → whether it deletes them.
    const changed = new Map<string, boolean>();
    for (const [key, head] of heads) {
      if (head.initialLive && head.headId !== head.initialId) changed.set(key, head.deleted);
    }
    const liveItems = changed.size === 0 ? 0 : await replica.countLiveItems();
    const verdict = guard.check(changed, liveItems);
    if (verdict.pause) {
      report.paused = { paused: 'mass-change', deletes: verdict.deletes, overwrites: verdict.overwrites };
      return 0;
    }

    const identity = { storeId: handshake.storeId, generation: handshake.generation };
    for (const [index, steps] of planned.entries()) {
      const page = pages[index];
      if (!page) continue;
      const last = index === planned.length - 1;
      const endCursor = { ...identity, cursor: page.endCursor, sequence: last ? sequence : (saved?.sequence ?? 0) };
      // Until its page is whole, a batch keeps the cursor where the page began.
      const startCursor = { ...identity, cursor: page.startCursor, sequence: saved?.sequence ?? 0 };
      // Before the cursor passes them (recording one twice is harmless).
      for (const change of page.changes) {
        if (change.type === 'collection' && lastChange.get(change.collection.id) === change.seq) await recordServerCollection(replica, change.collection);
      }
      let batch: { revision: ReplicaRevision; makeHead: boolean }[] = [];
      let batchBytes = 0;
      for (const step of steps) {
        let revision: ReplicaRevision | undefined;
        if (step.known) revision = await replica.getRevision(step.id);
        else {
          const r = step.change.revision;
          revision = {
            id: r.id,
            collectionPath: step.collectionPath,
            kind: step.kind,
            item: r.itemName,
            parentId: r.parentId,
            deleted: r.deleted,
            content: await contentOf(step.change),
            contentHash: r.contentHash,
            contentType: r.contentType,
            author: r.author,
            createdAt: r.createdAt,
            local: false,
            state: 'acked',
            refusal: null,
          };
          report.pulled += 1;
        }
        if (!revision) continue;
        batch.push({ revision, makeHead: step.makeHead });
        batchBytes += revision.content?.byteLength ?? 0;
        if (batchBytes >= PULL_BATCH_BYTES) {
          await replica.applyPull(batch, startCursor);
          batch = [];
          batchBytes = 0;
        }
      }
      await replica.applyPull(batch, endCursor);
    }
    guard.applied(changed);
    return pages.reduce((sum, page) => sum + page.changes.length, 0);
  }

  /** The server forgot: push back every revision it lacks, oldest first, then pull from the start. */
  async function heal(handshake: HandshakeJson, report: SyncReport): Promise<void> {
    await forgetServerIds(replica);
    // Collections first: an empty server gets each back with its kind and the names and
    // colours the device knows, even one without items; what the server has stays.
    await pushCollections(healCollections(await replica.listCollections()), report);
    // Metadata only: pushRevisions loads each missing revision's content a batch at a time.
    const log = (await replica.log({ content: false })).filter((r) => r.state !== 'refused');
    const missing = new Set<string>();
    const chunk = Math.max(1, handshake.limits.missingRevisionIds);
    for (let start = 0; start < log.length; start += chunk) {
      const ids = log.slice(start, start + chunk).map((r) => r.id);
      const answer = await expectJson<{ missing: string[] }>(await request('POST', '/api/v1/sync/missing', { revisionIds: ids }), 'the heal check');
      for (const id of answer.missing) missing.add(id);
    }
    // The outbox goes too: a restored server may hold some of it already (already-applied).
    const toPush = log.filter((r) => missing.has(r.id) || r.state === 'pending');
    report.healPushed = await pushRevisions(toPush, handshake, report);
    report.pushed += toPush.filter((r) => r.local).length;
    // With both of their revisions back, the conflicts the user had not settled are marked again,
    // and the collections the device knew as deleted go back to the trash.
    report.healConflicts = await putBackConflicts();
    await pushCollections(healDeletes(await replica.listCollections()), report);
    report.healed = true;
    await replica.setCursor(undefined);
    emit('healed', { healed: true, pushed: report.healPushed });
  }

  /**
   * Whether the open conflicts may differ from the list the device keeps: the handshake's
   * summary (count, and a hash of the losing revision ids) differs from it, or this round
   * made conflicts or healed. Conflicts made by others
   * after the handshake show in the next round's. (A server without the summary: any change.)
   */
  async function conflictsMayHaveChanged(handshake: HandshakeJson, changes: number, report: SyncReport): Promise<boolean> {
    if (report.conflicts.length > 0 || report.healed) return true;
    if (!handshake.conflicts) return changes > 0 || report.pushed > 0;
    const kept = (await replica.listConflicts()).map((c) => c.revisionId).sort();
    if (kept.length !== handshake.conflicts.open) return true;
    if (kept.length === 0) return false; // nothing open, nothing kept: the common case needs no hash
    return (await sha256Hex(new TextEncoder().encode(kept.join('\n')))) !== handshake.conflicts.fingerprint;
  }

  /** The server's open conflicts, kept in the replica; undefined from a server without the list. */
  async function refreshConflicts(): Promise<OpenConflict[] | undefined> {
    const response = await request('GET', '/api/v1/sync/conflicts');
    if (response.status === 404) return undefined;
    const { conflicts } = await expectJson<{ conflicts: OpenConflict[] }>(response, 'listing conflicts');
    const fresh = conflicts.map(({ revisionId, winnerRevisionId, collectionPath, itemName, at }) => ({ revisionId, winnerRevisionId, collectionPath, itemName, at }));
    // Most rounds change nothing here: a durable write only when the list did.
    const key = (list: readonly ReplicaConflict[]) => JSON.stringify(list.map((c) => [c.revisionId, c.winnerRevisionId, c.collectionPath, c.itemName, c.at]).sort());
    if (key(fresh) !== key(await replica.listConflicts())) await replica.setConflicts(fresh);
    return conflicts;
  }

  /** A heal: the marks this device kept, put back on the server (which takes those it lacks). */
  async function putBackConflicts(): Promise<number> {
    const kept = await replica.listConflicts();
    let imported = 0;
    for (let start = 0; start < kept.length; start += 1000) {
      const conflicts = kept.slice(start, start + 1000).map(({ revisionId, winnerRevisionId, at }) => ({ revisionId, winnerRevisionId, at }));
      const response = await request('POST', '/api/v1/sync/conflicts', { conflicts });
      if (response.status === 404) return imported; // a server older than this SDK
      imported += (await expectJson<{ imported: number }>(response, 'putting back conflict marks')).imported;
    }
    return imported;
  }

  async function needsHeal(handshake: HandshakeJson, saved: Awaited<ReturnType<ReplicaStore['getCursor']>>): Promise<boolean> {
    // No cursor, yet revisions a server acknowledged (a push whose pull never finished, or a
    // heal cut off before its pull): the server that has them may since have been replaced.
    if (!saved) return (await replica.log({ content: false })).some((r) => r.state === 'acked');
    return saved.storeId !== handshake.storeId || saved.generation !== handshake.generation || handshake.sequence < saved.sequence;
  }

  async function syncOnce(): Promise<SyncReport> {
    const report: SyncReport = { pushed: 0, pulled: 0, healed: false, healPushed: 0, healConflicts: 0, conflicts: [], refused: [], collections: { pushed: 0, refused: [] } };
    try {
      const handshake = await expectJson<HandshakeJson>(await request('GET', '/api/v1/sync'), 'the handshake');
      if (await needsHeal(handshake, await replica.getCursor())) await heal(handshake, report);
      else {
        await followServerPaths(replica, handshake.collections);
        report.pushed += await pushRevisions(await replica.outbox(), handshake, report);
        // After the revisions: a collection deleted on the device takes the items written into
        // it before the delete along to the trash.
        await pushCollections(pendingCollections(await replica.listCollections()), report);
      }
      let changes: number;
      try {
        changes = await pull(handshake, report);
      } catch (error) {
        if (!(error instanceof ServerForgot) || report.healed) throw error;
        const fresh = await expectJson<HandshakeJson>(await request('GET', '/api/v1/sync'), 'the handshake');
        await heal(fresh, report);
        changes = await pull(fresh, report);
      }
      if (await conflictsMayHaveChanged(handshake, changes, report)) await refreshConflicts().catch(() => undefined);
    } catch (error) {
      emit('error', error);
      throw error;
    }
    if (report.paused) emit('paused', report.paused);
    else emit('synced', report);
    return report;
  }

  return {
    async put(collectionPath: string, kind: string, name: string, bytes: Uint8Array, contentType: string): Promise<string> {
      return writeLocal(collectionPath, kind, name, bytes, contentType);
    },
    /** Deletes as a tombstone on the local head; an absent or already deleted item is left alone. */
    async delete(collectionPath: string, name: string): Promise<string | undefined> {
      const current = await replica.getItem(collectionPath, name);
      if (!current || current.deleted) return undefined;
      return writeLocal(collectionPath, current.kind, name, null, null);
    },
    /** The live item, or undefined (also for an item of a deleted collection). */
    async get(collectionPath: string, name: string): Promise<ReplicaItem | undefined> {
      const item = await replica.getItem(collectionPath, name);
      if (!item || item.deleted) return undefined;
      return (await replica.getCollection(collectionPath))?.deleted ? undefined : item;
    },
    /** The live items, of one collection or all; a deleted collection's items are kept on the device but not listed. */
    async list(collectionPath?: string): Promise<ReplicaItem[]> {
      const deleted = new Set((await replica.listCollections()).filter((c) => c.deleted).map((c) => c.path));
      return (await replica.listItems(collectionPath)).filter((item) => !item.deleted && !deleted.has(item.collectionPath));
    },
    /** The collections this device knows (not those in the server's trash), by path, with their display properties; offline. */
    async collections(): Promise<ReplicaCollection[]> {
      return (await replica.listCollections()).filter((collection) => !collection.deleted);
    },
    /**
     * Changes a collection's display properties (a value sets, null removes, an absent key
     * leaves): at once on the device, and on the server with the next sync, property by
     * property, so another device's change of another property is kept. An unknown
     * collection is made with `kind`.
     */
    async setCollectionProps(collectionPath: string, kind: string, patch: ReplicaCollectionPropsPatch): Promise<ReplicaCollection> {
      const problem = collectionPatchProblem(patch);
      if (problem) throw new Error(`cannot change ${collectionPath}: ${problem}`);
      const known = await replica.getCollection(collectionPath);
      if (known && !known.deleted && known.kind !== kind) throw new Error(`${collectionPath} holds ${known.kind}, not ${kind}`);
      let stored: ReplicaCollection | undefined;
      await replica.updateCollection(collectionPath, (current) => {
        stored = {
          path: collectionPath,
          kind: current && !current.deleted ? current.kind : kind,
          serverId: current && !current.deleted ? current.serverId : null,
          props: applyCollectionPatch(current && !current.deleted ? current.props : {}, patch),
          pendingProps: combineCollectionPatches(current?.pendingProps ?? {}, patch),
          deleted: false,
          pendingDelete: false,
        };
        return stored;
      });
      emit('changed', { collectionPath, item: null, revisionId: null, deleted: false });
      if (!stored) throw new Error(`${collectionPath}: the replica stored nothing`);
      return stored;
    },
    /**
     * Deletes a collection: at once on the device (its items leave list() and get(), and stay
     * in the replica), and with the next sync on the server, where it goes to the trash with
     * everything in it, as a DAV DELETE sends it. Answers false for a collection the device
     * does not know or that is already deleted.
     */
    async deleteCollection(collectionPath: string): Promise<boolean> {
      let deleted = false;
      await replica.updateCollection(collectionPath, (current) => {
        if (!current || current.deleted) return undefined;
        deleted = true;
        return { ...current, deleted: true, pendingDelete: true };
      });
      if (deleted) emit('changed', { collectionPath, item: null, revisionId: null, deleted: true });
      return deleted;
    },
    /** Local revisions the server refused: the device's data, kept for the user to see. */
    async refused(): Promise<ReplicaRevision[]> {
      return (await replica.log()).filter((r) => r.state === 'refused');
    },
    /** The revisions this device holds for an item, oldest first: its history, offline. */
    async history(collectionPath: string, name: string): Promise<ReplicaRevision[]> {
      return itemRevisions(replica, collectionPath, name);
    },
    /** Deleted items with the content they had before the delete, newest delete first; offline. */
    async trash(collectionPath?: string): Promise<TrashedItem[]> {
      return trashedItems(replica, collectionPath);
    },
    /**
     * Brings back a deleted item, or an item's older revision, as a new local revision on its
     * head (offline; it syncs like any write). Without a revision id it restores the last
     * live revision before the delete.
     */
    async restore(collectionPath: string, name: string, revisionId?: string): Promise<string> {
      const item = await replica.getItem(collectionPath, name);
      if (!item) throw new Error(`this device holds no item "${name}" in ${collectionPath}; nothing to restore`);
      let source: ReplicaRevision | null | undefined;
      if (revisionId) source = await replica.getRevision(revisionId);
      else source = (await trashedItems(replica, collectionPath)).find((t) => t.name === name)?.lastLive;
      if (!source || source.deleted || !source.content || source.collectionPath !== collectionPath || source.item !== name) {
        throw new Error(
          revisionId
            ? `revision ${revisionId} is not a live revision of ${collectionPath}/${name} on this device; client.history() lists the ones it holds`
            : `${collectionPath}/${name} is not in the trash with content this device holds`,
        );
      }
      return writeLocal(collectionPath, item.kind, name, source.content, source.contentType);
    },
    /**
     * The open conflicts, newest first: the server's list when it can be reached (kept on the
     * device), else the list as of the last sync, each with `revision` null.
     */
    async conflicts(): Promise<OpenConflict[]> {
      try {
        const fresh = await refreshConflicts();
        if (fresh) return fresh;
      } catch (error) {
        if (!(error instanceof SyncError) || error.status !== undefined) throw error;
      }
      return (await replica.listConflicts()).map((kept) => ({ ...kept, revision: null }));
    },
    /**
     * Closes a conflict on the server: keep the winner, or (restore: true) bring the losing
     * side back as a new head. The result arrives on the device with the next sync.
     */
    async resolveConflict(revisionId: string, choice: { restore: boolean }): Promise<{ head: string | null }> {
      const answer = await expectJson<{ resolved: string; head: { id: string } | null }>(
        await request('POST', `/api/v1/sync/conflicts/${encodeURIComponent(revisionId)}/resolve`, { restore: choice.restore }),
        'resolving the conflict',
      );
      await replica.setConflicts((await replica.listConflicts()).filter((kept) => kept.revisionId !== revisionId));
      return { head: answer.head?.id ?? null };
    },
    syncOnce,
    /** How many local revisions wait in the outbox for the server. */
    async pending(): Promise<number> {
      return (await replica.outbox()).length;
    },
    /** Lets the next sync apply a pull the mass-change guard paused. */
    confirmMassChange(): void {
      guard.confirm();
    },
    on(event: SyncEvent, listener: (detail: unknown) => void): () => void {
      const set = listeners.get(event) ?? new Set();
      set.add(listener);
      listeners.set(event, set);
      return () => set.delete(listener);
    },
  };
}

export type SyncClient = ReturnType<typeof createSyncClient>;
