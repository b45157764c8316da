// A device process for live-sync.test.ts: starts live sync, waits until it is idle (or
// offline with a retry pending), stops it and then simply returns. If anything live sync
// started (a timer, the stream) outlived stop(), this process would not exit by itself.
//   node --import tsx test/client/live-sync-exit.ts SERVER_URL TOKEN REPLICA_FILE idle|offline
import { openSqliteReplica } from '../../client/replica-sqlite.ts';
import { startLiveSync } from '../../client/live-sync.ts';
import { createSyncClient } from '../../client/sync-client.ts';

const [serverUrl = '', bearer = '', file = '', until = 'idle'] = process.argv.slice(2);
const replica = openSqliteReplica(file);
const client = createSyncClient({ serverUrl, auth: { bearer }, replica, deviceId: 'exit-check' });
// Long waits: a retry or poll timer left behind would hold the process for minutes.
const live = startLiveSync(client, { serverUrl, auth: { bearer }, minBackoffMs: 600_000, maxBackoffMs: 600_000, pollIntervalMs: 600_000 });
await new Promise<void>((resolve) => {
  const check = (status: ReturnType<typeof live.status>) => {
    if (status.state === until && (until !== 'offline' || status.nextRetryAt)) resolve();
  };
  live.on('status', check);
  check(live.status());
});
await live.stop();
await replica.close();
console.log(`stopped from ${until}`);
