// One run of the deterministic simulation (docs/sync.md, "How sync is tested"): a few
// devices — the real SDK (client/sync-client.ts) on real SQLite replica files — and a real
// server (sim-server.ts), driven by a schedule drawn from one seed. Every step is awaited
// before the next, the network is app.inject (sim-network.ts) and every clock is the
// simulation's, so a seed replays the same run.
//
// The schedule: local writes (vCards, JSON notes and records, small files) and deletes;
// the same item edited on several devices between syncs; syncs; devices going offline and
// coming back; links that drop requests, drop answers, deliver twice and hold pushes back
// to deliver them later; device resets (a fresh replica file); the server backed up (the
// real backup) and later restored from an older point (the real restore: a new generation,
// the same store id); the server replaced by an empty one (a new store id).
//
// Nothing in the schedule destroys the last copy of a revision: before a device reset, a
// restore or a replacement, the simulation asks the real replicas and the real store
// whether every revision the fault would destroy is held elsewhere (on another device, or
// on the server that stays), and skips the fault if not (the trace says so). A write
// whose every copy is gone cannot come back, and no design can promise otherwise; skipping
// such faults lets the checker assert survival for every write without exceptions.
// Revisions held back in the network do not count as copies.
//
// Then every device comes online on a calm network, held pushes are delivered, and the
// devices sync round after round until one round changes nothing (at most MAX_ROUNDS);
// sim-checker.ts then checks the invariants.
import { existsSync } from 'node:fs';
import { rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import type { ReplicaStore } from '../../client/replica.ts';
import { createSyncClient, SyncError, type SyncClient, type SyncReport } from '../../client/sync-client.ts';
import { createRandom } from '../seeded-random.ts';
import { COLLECTIONS, writeContent, type SimCollection } from './sim-content.ts';
import { CALM, createSimNetwork, SimulatedNetworkError, type LinkFaults } from './sim-network.ts';
import { backUp, closeServer, restoreServer, serverRevisions, startEmptyServer, type SimServer, type SimServerContext } from './sim-server.ts';
import { checkInvariants, type SimLedger } from './sim-checker.ts';
import { sha256Hex } from '../../client/portable.ts';

export const MAX_ROUNDS = 12;

export interface SimOptions {
  seed: number;
  /** Print the trace as the run goes. */
  verbose?: boolean;
  /** Where the run's files go (a fresh directory under it, removed after). */
  tmpRoot?: string;
}

export interface SimStats {
  devices: number;
  steps: number;
  writes: number;
  deletes: number;
  collectionChanges: number;
  syncs: number;
  networkFailures: number;
  resets: number;
  resetsSkipped: number;
  restores: number;
  restoresSkipped: number;
  replacements: number;
  replacementsSkipped: number;
  heldDelivered: number;
  conflicts: number;
  heals: number;
  pauses: number;
  rounds: number;
}

export interface SimResult {
  seed: number;
  failures: string[];
  trace: string[];
  stats: SimStats;
}

interface SimDevice {
  name: string;
  incarnation: number;
  replica: ReplicaStore;
  client: SyncClient;
}

/** Memory-backed when the machine has it: the simulation checks sync's logic, not the disk
 * (the crash tests do that), and thousands of seeds of fsyncs on a shared disk take hours.
 * HOLDFAST_SIM_DIR chooses another place. */
function defaultTmpRoot(): string {
  if (process.env.HOLDFAST_SIM_DIR) return process.env.HOLDFAST_SIM_DIR;
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

/** The simulation's clock: a fixed start, a millisecond per reading, a second per step, so
 * revisions are ordered the same way on every replay. */
function simClock() {
  let now = Date.parse('2024-03-01T09:00:00.000Z');
  return {
    read: () => new Date((now += 1)),
    step: () => {
      now += 1000;
    },
  };
}

export async function runSimulation(options: SimOptions): Promise<SimResult> {
  const { seed } = options;
  const root = await mkdtemp(join(options.tmpRoot ?? defaultTmpRoot(), `holdfast-sim-${seed}-`));
  const trace: string[] = [];
  const log = (line: string) => {
    trace.push(line);
    if (options.verbose) console.log(line);
  };
  const failures: string[] = [];
  const master = createRandom(seed);
  const schedule = createRandom(master.seed());
  const content = createRandom(master.seed());
  const net = createRandom(master.seed());
  const clock = simClock();
  let serverCount = 0;
  const ctx: SimServerContext = { root, now: clock.read, nextIndex: () => serverCount++ };
  let server = await startEmptyServer(ctx);
  const network = createSimNetwork(net, () => server, log);
  const ledger: SimLedger = { localWrites: new Map(), explicitDeletes: new Set(), everOnServer: new Map(), refused: new Map(), unexpected: [] };
  const stats: SimStats = {
    devices: schedule.int(2, 4),
    steps: schedule.int(25, 50),
    writes: 0,
    deletes: 0,
    collectionChanges: 0,
    syncs: 0,
    networkFailures: 0,
    resets: 0,
    resetsSkipped: 0,
    restores: 0,
    restoresSkipped: 0,
    replacements: 0,
    replacementsSkipped: 0,
    heldDelivered: 0,
    conflicts: 0,
    heals: 0,
    pauses: 0,
    rounds: 0,
  };
  let revisionCount = 0;
  const devices: SimDevice[] = [];

  function openDevice(name: string, incarnation: number): SimDevice {
    const replica = openSqliteReplica(join(root, `${name}-${incarnation}.sqlite`));
    const client = createSyncClient({
      serverUrl: 'http://holdfast.sim',
      // The network signs every request in with the current server's token.
      auth: { bearer: 'set-by-the-simulated-network' },
      replica,
      deviceId: name,
      fetch: network.fetchFor(name),
      newRevisionId: () => `${name}.${incarnation}.r${String((revisionCount += 1)).padStart(4, "0")}`,
      now: clock.read,
    });
    return { name, incarnation, replica, client };
  }

  log(`seed ${seed}: ${stats.devices} devices, ${stats.steps} steps`);
  for (let n = 0; n < stats.devices; n += 1) devices.push(openDevice(`d${n}`, 0));

  try {
    for (let step = 1; step <= stats.steps; step += 1) {
      clock.step();
      await runStep(step);
      if (ledger.unexpected.length > 0) break;
    }
    if (ledger.unexpected.length === 0) await settle();
    await rememberServer();
    for (const device of devices) await rememberRefusals(device);
    failures.push(...network.serverErrors, ...ledger.unexpected);
    if (failures.length === 0) failures.push(...(await checkInvariants({ server, devices, ledger })));
  } catch (error) {
    failures.push(`the simulation itself failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    for (const device of devices) await device.replica.close().catch(() => undefined);
    await closeServer(server, true).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  }
  return { seed, failures, trace, stats };

  async function runStep(step: number): Promise<void> {
    const roll = schedule.int(1, 100);
    const device = schedule.pick(devices);
    if (roll <= 32) return edit(step, device, pickItem());
    if (roll <= 34) return nameCollection(step, device);
    if (roll <= 40) return concurrentEdit(step);
    if (roll <= 70) {
      await sync(step, device);
      return;
    }
    if (roll <= 75) return toggleOffline(step, device);
    if (roll <= 81) return setFlaky(step, device);
    if (roll <= 85) return deliverHeld(step);
    if (roll <= 89) return resetDevice(step, device);
    if (roll <= 94) {
      const seq = await backUp(server);
      log(`${step}: the server is backed up to sequence ${seq}`);
      return;
    }
    if (roll <= 98) return restore(step);
    return replace(step);
  }

  function pickItem(): { collection: SimCollection; item: string } {
    const collection = schedule.pick(COLLECTIONS);
    return { collection, item: schedule.pick(collection.items) };
  }

  async function edit(step: number, device: SimDevice, target: { collection: SimCollection; item: string }): Promise<void> {
    const { collection, item } = target;
    const current = await device.client.get(collection.path, item);
    if (current && schedule.chance(0.3)) {
      const id = await device.client.delete(collection.path, item);
      if (id === undefined) throw new Error(`deleting the live item ${collection.path}/${item} on ${device.name} wrote nothing`);
      ledger.localWrites.set(id, { device: device.name, key: `${collection.path}/${item}`, deleted: true, contentHash: null });
      ledger.explicitDeletes.add(id);
      stats.deletes += 1;
      log(`${step}: ${device.name} deletes ${collection.path}/${item} (${id})`);
      return;
    }
    const bytes = writeContent(content, collection, item, current?.content ?? null, `s${step}${device.name}`);
    const id = await device.client.put(collection.path, collection.kind, item, bytes, collection.contentType);
    ledger.localWrites.set(id, { device: device.name, key: `${collection.path}/${item}`, deleted: false, contentHash: await sha256Hex(bytes) });
    stats.writes += 1;
    log(`${step}: ${device.name} ${current ? 'edits' : 'creates'} ${collection.path}/${item} (${id}, ${bytes.byteLength} bytes)`);
  }

  /** A person renames or recolours a collection on a device (a property at a time, sometimes removing one). */
  async function nameCollection(step: number, device: SimDevice): Promise<void> {
    const collection = schedule.pick(COLLECTIONS);
    const patch: Record<string, string | null> = {};
    if (schedule.chance(0.7)) patch.displayName = `${collection.path} ${step}${device.name}`;
    if (schedule.chance(0.4)) patch.color = `#${schedule.int(0, 0xffffff).toString(16).padStart(6, '0')}FF`;
    if (schedule.chance(0.2) || Object.keys(patch).length === 0) patch.description = schedule.chance(0.5) ? null : `kept by ${device.name}`;
    await device.client.setCollectionProps(collection.path, collection.kind, patch);
    stats.collectionChanges += 1;
    log(`${step}: ${device.name} sets ${collection.path}'s properties ${JSON.stringify(patch)}`);
  }

  async function concurrentEdit(step: number): Promise<void> {
    const target = pickItem();
    const count = Math.min(devices.length, schedule.int(2, 3));
    const pool = [...devices];
    const editors: SimDevice[] = [];
    while (editors.length < count) editors.push(...pool.splice(schedule.int(0, pool.length - 1), 1));
    log(`${step}: ${editors.map((d) => d.name).join(', ')} edit ${target.collection.path}/${target.item} between syncs`);
    for (const editor of editors) await edit(step, editor, target);
  }

  async function sync(step: number, device: SimDevice): Promise<SyncReport | undefined> {
    stats.syncs += 1;
    try {
      const report = await device.client.syncOnce();
      noteReport(device, report);
      log(`${step}: ${device.name} syncs: ${describeReport(report)}`);
      await checkNoDeleteFromAbsence(step, device);
      return report;
    } catch (error) {
      // The SDK reports a failed fetch as a SyncError whose cause is what fetch threw.
      if (error instanceof SimulatedNetworkError || (error instanceof SyncError && error.cause instanceof SimulatedNetworkError)) {
        stats.networkFailures += 1;
        log(`${step}: ${device.name} sync fails: ${error.message}`);
        return undefined;
      }
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      ledger.unexpected.push(`step ${step}: ${device.name}'s sync failed without a network fault: ${text}`);
      log(`${step}: ${device.name} sync FAILS: ${text}`);
      return undefined;
    }
  }

  function noteReport(device: SimDevice, report: SyncReport): void {
    stats.conflicts += report.conflicts.length;
    if (report.healed) stats.heals += 1;
    for (const refusal of report.refused) ledger.refused.set(refusal.revisionId, `${refusal.reason}: ${refusal.message}`);
    // The person is asked and says yes: the next sync applies the paused pull.
    if (report.paused) {
      stats.pauses += 1;
      device.client.confirmMassChange();
    }
  }

  /** No item on a device is deleted unless an explicit delete is its head. */
  async function checkNoDeleteFromAbsence(step: number, device: SimDevice): Promise<void> {
    for (const item of await device.replica.listItems()) {
      if (item.deleted && !ledger.explicitDeletes.has(item.headId)) {
        ledger.unexpected.push(`step ${step}: ${device.name} holds ${item.collectionPath}/${item.name} deleted by ${item.headId}, which no device deleted`);
      }
    }
  }

  async function toggleOffline(step: number, device: SimDevice): Promise<void> {
    const link = network.link(device.name);
    network.setLink(device.name, { ...link, offline: !link.offline });
    log(`${step}: ${device.name} goes ${link.offline ? 'online' : 'offline'}`);
  }

  async function setFlaky(step: number, device: SimDevice): Promise<void> {
    const calm = schedule.chance(0.3);
    const level = () => (schedule.chance(0.5) ? 0 : schedule.pick([0.1, 0.25, 0.5]));
    const faults: LinkFaults = calm
      ? { ...CALM, offline: network.link(device.name).offline }
      : { offline: network.link(device.name).offline, dropRequest: level(), dropResponse: level(), duplicate: level(), delayPush: level() };
    network.setLink(device.name, faults);
    log(`${step}: ${device.name}'s link: ${JSON.stringify(faults)}`);
  }

  async function deliverHeld(step: number): Promise<void> {
    if (network.held.length === 0) return;
    log(`${step}: a held-back push arrives`);
    await network.deliverHeld(schedule.int(0, network.held.length - 1));
    stats.heldDelivered += 1;
  }

  /** Revision ids in `ids` that no device but `except` holds and `onServer` lacks. */
  async function onlyCopies(ids: string[], except: SimDevice | null, onServer: SimServer | null): Promise<string[]> {
    const alone: string[] = [];
    for (const id of ids) {
      if (onServer && (await onServer.userStore.getRevision(id))) continue;
      let held = false;
      for (const other of devices) {
        if (other === except) continue;
        if ((await other.replica.getRevision(id))?.state === 'refused') continue;
        if (await other.replica.getRevision(id)) {
          held = true;
          break;
        }
      }
      if (!held) alone.push(id);
    }
    return alone;
  }

  async function resetDevice(step: number, device: SimDevice): Promise<void> {
    const held = (await device.replica.log()).filter((r) => r.state !== 'refused').map((r) => r.id);
    const alone = await onlyCopies(held, device, server);
    if (alone.length > 0) {
      stats.resetsSkipped += 1;
      log(`${step}: ${device.name} would be reset, but it holds the only copy of ${revisionList(alone)}: skipped`);
      return;
    }
    await rememberRefusals(device);
    await device.replica.close();
    const index = devices.indexOf(device);
    const fresh = openDevice(device.name, device.incarnation + 1);
    devices[index] = fresh;
    stats.resets += 1;
    log(`${step}: ${device.name} is reset (a fresh replica, incarnation ${fresh.incarnation})`);
  }

  /** Refusals a device recorded, including those of a sync that failed after its push. */
  async function rememberRefusals(device: SimDevice): Promise<void> {
    for (const revision of await device.client.refused()) ledger.refused.set(revision.id, revision.refusal ?? 'refused');
  }

  async function rememberServer(): Promise<void> {
    const paths = new Map((await server.userStore.listCollections({ includeDeleted: true })).map((c) => [c.id, c.path]));
    for (const revision of await serverRevisions(server)) {
      ledger.everOnServer.set(revision.id, { key: `${paths.get(revision.collectionId) ?? '?'}/${revision.itemName}`, deleted: revision.deleted, contentHash: revision.contentHash });
    }
  }

  async function restore(step: number): Promise<void> {
    const points = server.backupPoints;
    const seq = schedule.pick(points);
    await rememberServer();
    const candidate = await restoreServer(ctx, server, seq);
    const lost = (await serverRevisions(server)).map((r) => r.id);
    const alone = await onlyCopies(lost, null, candidate);
    if (alone.length > 0) {
      stats.restoresSkipped += 1;
      log(`${step}: restoring the server to sequence ${seq} would lose the only copy of ${revisionList(alone)}: skipped`);
      await closeServer(candidate, false);
      return;
    }
    await closeServer(server, false);
    server = candidate;
    stats.restores += 1;
    const identity = await server.store.identity();
    log(`${step}: the server is restored from its backup at sequence ${seq} (server ${server.index}, generation ${identity.generation})`);
  }

  async function replace(step: number): Promise<void> {
    await rememberServer();
    const alone = await onlyCopies((await serverRevisions(server)).map((r) => r.id), null, null);
    if (alone.length > 0) {
      stats.replacementsSkipped += 1;
      log(`${step}: replacing the server would lose the only copy of ${revisionList(alone)}: skipped`);
      return;
    }
    await closeServer(server, true);
    server = await startEmptyServer(ctx);
    stats.replacements += 1;
    log(`${step}: the server is replaced by an empty one (server ${server.index}, a new store id)`);
  }

  /** Everyone online on a calm network; held pushes arrive; sync until a round changes nothing. */
  async function settle(): Promise<void> {
    log('settle: every device online, the network calm');
    for (const device of devices) network.setLink(device.name, CALM);
    while (network.held.length > 0) await deliverHeld(0);
    for (let round = 1; round <= MAX_ROUNDS; round += 1) {
      stats.rounds = round;
      clock.step();
      let quiet = true;
      for (const device of devices) {
        const report = await sync(stats.steps + round, device);
        if (ledger.unexpected.length > 0) return;
        if (!report || report.pushed > 0 || report.pulled > 0 || report.healed || report.paused) quiet = false;
      }
      if (quiet) return;
    }
    ledger.unexpected.push(`the devices did not settle in ${MAX_ROUNDS} rounds of sync on a calm network`);
  }
}

/** Ids the devices made (the same on every replay), and how many the server made (random UUIDs). */
function revisionList(ids: string[]): string {
  const made = ids.filter((id) => /^d\d+\./.test(id));
  const byServer = ids.length - made.length;
  return [...made, ...(byServer > 0 ? [`${byServer} made by the server`] : [])].join(', ');
}

function describeReport(report: SyncReport): string {
  const parts = [`pushed ${report.pushed}`, `pulled ${report.pulled}`];
  if (report.healed) parts.push(`healed (${report.healPushed} put back)`);
  if (report.conflicts.length > 0) parts.push(`${report.conflicts.length} conflicts`);
  if (report.refused.length > 0) parts.push(`refused ${report.refused.map((r) => `${r.revisionId} (${r.reason})`).join(', ')}`);
  if (report.paused) parts.push(`paused by the mass-change guard (${report.paused.deletes} deletes, ${report.paused.overwrites} overwrites): confirmed`);
  return parts.join(', ');
}

/** The command that replays one seed with its trace. */
export function replayCommand(seed: number): string {
  return `npm run soak:sim -- --seed ${seed}`;
}
