// What the SDK's tests share: real servers (the test harness) and devices, each the SDK on
// a real SQLite replica file, all closed and removed when the suite ends.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { ReplicaStore } from '../../client/replica.ts';
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import { createSyncClient, type SyncClient, type SyncClientOptions } from '../../client/sync-client.ts';
import { startHarness, type Harness } from '../server/harness.ts';

export const vcard = (uid: string, ...lines: string[]) => ['BEGIN:VCARD', 'VERSION:4.0', `UID:${uid}`, ...lines, 'END:VCARD', ''].join('\r\n');
export const bytes = (text: string) => new TextEncoder().encode(text);
export const text = (data: Uint8Array | null | undefined) => (data ? new TextDecoder().decode(data) : undefined);

export interface DeviceOptions extends Partial<Omit<SyncClientOptions, 'serverUrl' | 'auth' | 'replica' | 'deviceId'>> {
  /** How alice signs in: an app password (Basic, the default) or a token (Bearer). */
  signIn?: 'app-password' | 'token';
}

/** Call inside a describe: its before and after hooks make and remove the suite's files. */
export function useDevices(name: string) {
  let dir = '';
  const replicas = new Map<string, ReplicaStore>();
  const harnesses: Harness[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), `holdfast-${name}-`));
  });
  after(async () => {
    for (const replica of replicas.values()) await replica.close();
    for (const harness of harnesses) await harness.close();
    await rm(dir, { recursive: true, force: true });
  });

  const server = async (): Promise<Harness> => {
    const harness = await startHarness();
    harnesses.push(harness);
    return harness;
  };
  /** The replica file of this name, opened once and kept across servers (a device that meets a new server). */
  const replica = (device: string): ReplicaStore => {
    let opened = replicas.get(device);
    if (!opened) {
      opened = openSqliteReplica(join(dir, `${device}.sqlite`));
      replicas.set(device, opened);
    }
    return opened;
  };
  /** The SDK on the named replica, signed in to `harness` as alice. */
  const device = (harness: Harness, name: string, options: DeviceOptions = {}): SyncClient => {
    const { signIn = 'app-password', ...rest } = options;
    const [user = '', password = ''] = Buffer.from(harness.appPassword.alice.replace(/^Basic /, ''), 'base64').toString('utf8').split(':');
    return createSyncClient({
      serverUrl: harness.url,
      auth: signIn === 'token' ? { bearer: harness.bearer.alice.replace(/^Bearer /, '') } : { basic: { user, password } },
      replica: replica(name),
      deviceId: name,
      ...rest,
    });
  };
  return { server, replica, device };
}
