// bench:sync, part two: D devices follow the server with startLiveSync, each with its own
// SQLite replica; one device writes a contact and the clock runs until the write is in every
// other device's replica. The baseline is a bare HTTP round trip to the same server.
import { join } from 'node:path';
import { startLiveSync } from '../client/live-sync.ts';
import { openSqliteReplica } from '../client/replica-sqlite.ts';
import { createSyncClient, type SyncClient } from '../client/sync-client.ts';
import type { ReplicaStore } from '../client/replica.ts';
import { benchVCard } from './dav-requests.ts';
import type { BenchServer } from './dav-server.ts';

const ARRIVAL_DEADLINE_MS = 120_000;

interface Device {
  client: SyncClient;
  replica: ReplicaStore;
  live: ReturnType<typeof startLiveSync>;
}

export interface Arrivals {
  devices: number;
  /** Put on one device to arrival in another's replica, one entry per (write, receiving device). */
  arrivalsMs: number[];
  /** Put to arrival in the last of the other devices, one per write. */
  lastArrivalMs: number[];
  missing: number;
}

export interface LiveResult {
  /** The same writes with only two devices connected: the path without the crowd. */
  pair: Arrivals;
  crowd: Arrivals;
  roundTripMs: number[];
}

async function waitUntil(what: string, condition: () => boolean, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function measureLive(server: BenchServer, dir: string, deviceCount: number, writes: number): Promise<LiveResult> {
  const auth = { basic: { user: server.userName, password: server.appPassword } };
  const devices: Device[] = [];
  // What each device is waiting for: the write's revision id and when it was made.
  let target: { collection: string; item: string; revisionId: string; startedAt: number; arrived: Map<number, number> } | null = null;

  async function addDevices(count: number): Promise<void> {
    while (devices.length < count) {
      const index = devices.length;
      const replica = openSqliteReplica(join(dir, `device-${index}.sqlite`));
      const client = createSyncClient({ serverUrl: server.url, auth, replica, deviceId: `bench-device-${index}` });
      client.on('synced', () => {
        const waiting = target;
        if (!waiting || waiting.arrived.has(index)) return;
        void client.get(waiting.collection, waiting.item).then((item) => {
          if (item?.headId === waiting.revisionId && !waiting.arrived.has(index)) waiting.arrived.set(index, performance.now() - waiting.startedAt);
        });
      });
      devices.push({ client, replica, live: startLiveSync(client, { serverUrl: server.url, auth }) });
      if (devices.length % 25 === 0 || devices.length === count) console.log(`  started ${devices.length} / ${count} devices`);
    }
    await waitUntil('every device to connect and sync', () => devices.every((d) => d.live.status().state === 'idle'), ARRIVAL_DEADLINE_MS);
    console.log(`  all ${devices.length} devices connected and idle`);
  }

  async function measureWrites(first: number, writes: number): Promise<Arrivals> {
    const result: Arrivals = { devices: devices.length, arrivalsMs: [], lastArrivalMs: [], missing: 0 };
    for (let write = first; write < first + writes; write++) {
      const writerIndex = write % devices.length;
      const writer = devices[writerIndex];
      if (!writer) throw new Error('no devices');
      const item = `live-${write}.vcf`;
      const arrived = new Map<number, number>();
      target = { collection: 'contacts', item, revisionId: '', startedAt: performance.now(), arrived };
      // The writer's live sync pushes it (a local write triggers a sync); nothing else is called.
      target.revisionId = await writer.client.put('contacts', 'contacts', item, new TextEncoder().encode(benchVCard(1_000_000 + write)), 'text/vcard');
      arrived.set(writerIndex, 0);
      try {
        await waitUntil(`write ${write} to reach every device`, () => arrived.size === devices.length, ARRIVAL_DEADLINE_MS);
      } catch {
        result.missing += devices.length - arrived.size;
      }
      arrived.delete(writerIndex);
      result.arrivalsMs.push(...arrived.values());
      result.lastArrivalMs.push(Math.max(...arrived.values()));
      const done = write + 1 - first;
      if (done % 10 === 0 || done === writes) console.log(`  ${done} / ${writes} writes arrived on all ${devices.length} devices`);
    }
    target = null;
    return result;
  }

  try {
    await addDevices(2);
    const roundTripMs: number[] = [];
    const authorization = `Basic ${Buffer.from(`${server.userName}:${server.appPassword}`).toString('base64')}`;
    for (let run = 0; run < Math.max(writes, 20); run++) {
      const started = performance.now();
      const response = await fetch(`${server.url}/api/v1/sync`, { headers: { authorization } });
      await response.arrayBuffer();
      roundTripMs.push(performance.now() - started);
    }
    const pair = await measureWrites(0, writes);
    await addDevices(deviceCount);
    const crowd = await measureWrites(writes, writes);
    return { pair, crowd, roundTripMs };
  } finally {
    await Promise.all(devices.map((d) => d.live.stop()));
    for (const device of devices) await device.replica.close();
  }
}
