// The simulation's invariants, checked against the real store and the real replica files
// after the devices have settled (docs/sync.md, "How sync is tested"):
//
// 1. Every acknowledged write survives. The acknowledged writes are every local write (a
//    put or delete that returned on a device: the SDK acknowledged it) and every revision
//    any server ever held (the server acknowledged it), except revisions the server refused
//    to the device that pushed it (the device shows them to the person as refused; the
//    only refusal the schedule can cause is a stale delete, and any other fails the run).
//    "Survives" means: the final server holds the revision (same id, same tombstone flag,
//    same content hash) and so does every device's replica. It need not be the head: a
//    later edit, a delete or a conflict's winner may be on top of it, and the history
//    keeps it where the person can restore it from.
// 2. Convergence: every device holds the same items as the server (live and deleted), each
//    with the server's head, and every live item with the same bytes (checked by SHA-256 of
//    the device's bytes against the server's content hash); no outbox holds anything.
// 3. No delete from absence: every deleted item's head (on the server and so on every
//    device) is a tombstone some device wrote with an explicit delete. The simulation also
//    checks each device after every sync during the schedule.
// 4. No deleted item comes back: when an item's head is live, it is not an ancestor (or the
//    same revision) of any explicit delete the server holds for that item, following
//    parents in the server's history. A concurrent edit that wins over a delete it never
//    saw, and a new item written on the tombstone, are not ancestors of the delete, so
//    both are allowed; the content a delete removed coming back as the head is not.
// 5. Collections converge: every device holds each collection's display properties as the
//    server has them (names and colours set on devices, through drops, duplicates, resets,
//    restores and replacements), with no change left unsent.
// 6. Conflicts converge: every device keeps the server's open conflicts (the list a device
//    shows offline and puts back in a heal), no more and no fewer.
import { sha256Hex } from '../../client/portable.ts';
import type { ReplicaStore } from '../../client/replica.ts';
import type { Revision } from '../../src/store/types.ts';
import { serverRevisions, type SimServer } from './sim-server.ts';

export interface WriteRecord {
  key: string;
  deleted: boolean;
  contentHash: string | null;
}

export interface SimLedger {
  /** Every local write, by revision id, with the device that made it. */
  localWrites: Map<string, WriteRecord & { device: string }>;
  /** The revision ids of local deletes. */
  explicitDeletes: Set<string>;
  /** Every revision any server held, recorded before a server was restored or replaced, and at the end. */
  everOnServer: Map<string, WriteRecord>;
  /** Revisions the server refused to their device, with the reason. */
  refused: Map<string, string>;
  /** Failures seen during the run (an error no fault explains, a delete from absence). */
  unexpected: string[];
}

export interface CheckedDevice {
  name: string;
  replica: ReplicaStore;
}

const LIMIT = 20;

export async function checkInvariants(run: { server: SimServer; devices: CheckedDevice[]; ledger: SimLedger }): Promise<string[]> {
  const { server, devices, ledger } = run;
  const failures: string[] = [];
  const fail = (text: string) => {
    if (failures.length < LIMIT) failures.push(text);
  };

  for (const [id, reason] of ledger.refused) {
    if (!reason.startsWith('stale-delete')) fail(`the server refused ${id}: ${reason}`);
  }

  // 1. Survival.
  const held = new Map<string, Revision>((await serverRevisions(server)).map((r) => [r.id, r]));
  const acknowledged = new Map<string, WriteRecord & { device?: string }>([...ledger.everOnServer, ...ledger.localWrites]);
  for (const [id, write] of acknowledged) {
    if (ledger.refused.has(id)) continue;
    const by = write.device ? `written on ${write.device}` : 'held by an earlier server';
    const onServer = held.get(id);
    if (!onServer) fail(`${write.key}: revision ${id} (${by}) is not on the server`);
    else if (onServer.deleted !== write.deleted || onServer.contentHash !== write.contentHash) {
      fail(`${write.key}: revision ${id} (${by}) is on the server with other content (${onServer.contentHash ?? 'deleted'}, not ${write.contentHash ?? 'deleted'})`);
    }
    for (const device of devices) {
      const copy = await device.replica.getRevision(id);
      if (!copy) fail(`${write.key}: revision ${id} (${by}) is not on ${device.name}`);
      else if (copy.deleted !== write.deleted || copy.contentHash !== write.contentHash) fail(`${write.key}: ${device.name} holds ${id} with other content`);
    }
  }

  // 2. Convergence.
  const serverItems = new Map<string, { headId: string; deleted: boolean; contentHash: string | null }>();
  for (const collection of await server.userStore.listCollections()) {
    for (const item of (await server.userStore.listItems(collection.path, { includeDeleted: true })) ?? []) {
      serverItems.set(`${collection.path}/${item.name}`, { headId: item.head.id, deleted: item.deleted, contentHash: item.head.contentHash });
    }
  }
  for (const device of devices) {
    const outbox = await device.replica.outbox();
    if (outbox.length > 0) fail(`${device.name} still has ${outbox.length} revisions in its outbox: ${outbox.map((r) => r.id).join(', ')}`);
    const local = new Map((await device.replica.listItems()).map((item) => [`${item.collectionPath}/${item.name}`, item]));
    for (const [key, expected] of serverItems) {
      const item = local.get(key);
      if (!item) {
        fail(`${device.name} lacks ${key} (the server's head is ${expected.headId}${expected.deleted ? ', deleted' : ''})`);
        continue;
      }
      if (item.headId !== expected.headId || item.deleted !== expected.deleted) {
        fail(`${device.name}'s head of ${key} is ${item.headId}${item.deleted ? ' (deleted)' : ''}, the server's ${expected.headId}${expected.deleted ? ' (deleted)' : ''}`);
      } else if (!item.deleted && (item.content === null || (await sha256Hex(item.content)) !== expected.contentHash)) {
        fail(`${device.name}'s bytes of ${key} differ from the server's (${expected.contentHash ?? 'none'})`);
      }
    }
    for (const key of local.keys()) if (!serverItems.has(key)) fail(`${device.name} holds ${key}, which the server does not`);
  }

  // 5. Collection properties.
  const serverCollections = new Map((await server.userStore.listCollections()).map((c) => [c.path, c]));
  for (const device of devices) {
    for (const collection of await device.replica.listCollections()) {
      if (collection.deleted) continue;
      const expected = serverCollections.get(collection.path);
      if (!expected) {
        fail(`${device.name} knows the collection ${collection.path}, which the server does not have`);
        continue;
      }
      if (collection.pendingProps !== null) fail(`${device.name} still has unsent properties for ${collection.path}: ${JSON.stringify(collection.pendingProps)}`);
      if (JSON.stringify(sortedProps(collection.props)) !== JSON.stringify(sortedProps(expected.props))) {
        fail(`${device.name} has ${collection.path} as ${JSON.stringify(collection.props)}, the server ${JSON.stringify(expected.props)}`);
      }
    }
  }

  // 6. Conflict lists.
  const open = (await server.userStore.listConflicts({ limit: 10_000 })).map((m) => `${m.revisionId}>${m.winnerId}`).sort();
  for (const device of devices) {
    const kept = (await device.replica.listConflicts()).map((c) => `${c.revisionId}>${c.winnerRevisionId}`).sort();
    if (JSON.stringify(kept) !== JSON.stringify(open)) fail(`${device.name} keeps the conflicts ${kept.join(', ') || 'none'}; the server has ${open.join(', ') || 'none'} open`);
  }

  // 3. Deletes come only from explicit deletes.
  for (const [key, item] of serverItems) {
    if (item.deleted && !ledger.explicitDeletes.has(item.headId)) fail(`${key} is deleted by ${item.headId}, which is no device's explicit delete`);
  }

  // 4. What an explicit delete removed does not come back.
  for (const [key, item] of serverItems) {
    if (item.deleted) continue;
    for (const deleteId of ledger.explicitDeletes) {
      const tombstone = held.get(deleteId);
      if (!tombstone || ledger.localWrites.get(deleteId)?.key !== key) continue;
      for (let at = tombstone.parentId, hops = 0; at !== null && hops < 10_000; hops += 1) {
        if (at === item.headId) {
          fail(`${key} came back: its head ${item.headId} is what the delete ${deleteId} removed`);
          break;
        }
        at = held.get(at)?.parentId ?? null;
      }
    }
  }
  return failures;
}

function sortedProps(props: object): [string, unknown][] {
  return Object.entries(props).sort(([a], [b]) => (a < b ? -1 : 1));
}
