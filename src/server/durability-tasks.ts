// The server's background care of its data, beside continuous backup: the scrub (every
// blob re-read against its hash at a gentle pace, repaired from the backup targets) and
// the scheduled restore drill. Each is on by its own setting.
import { join } from 'node:path';
import { startDrillSchedule } from '../backup/drill-schedule.ts';
import type { DrillSchedule } from '../backup/drill-schedule.ts';
import { PASSPHRASE_ENV } from '../backup/encryption.ts';
import { openConfiguredTargets } from '../backup/start-backup.ts';
import type { BackupTarget } from '../backup/target.ts';
import { startBackgroundScrub } from '../scrub/background-scrub.ts';
import type { BackgroundScrub, ScrubLog } from '../scrub/background-scrub.ts';
import { repairSourceFrom } from '../scrub/repair-source.ts';
import { ScrubStatus } from '../scrub/scrub-status.ts';
import { openLocalDirectoryBlobs } from '../store/blobs/local-directory.ts';
import { BLOBS_DIR } from '../store/data-directory.ts';
import type { Store } from '../store/store.ts';
import type { HoldfastConfig } from './config.ts';

export interface DurabilityTasks {
  scrubStatus: ScrubStatus | null;
  stop(): Promise<void>;
}

export async function startDurabilityTasks(config: HoldfastConfig, store: Store, log: ScrubLog, env: Record<string, string | undefined>): Promise<DurabilityTasks> {
  let scrub: BackgroundScrub | null = null;
  let drills: DrillSchedule | null = null;
  let repairTargets: BackupTarget[] = [];
  let scrubStatus: ScrubStatus | null = null;
  const bytesPerSecond = config.scrubBytesPerSecond ?? 0;
  if (bytesPerSecond > 0) {
    if (config.backupTargets !== undefined) repairTargets = await openConfiguredTargets(config.backupTargets, env);
    scrubStatus = new ScrubStatus();
    scrub = startBackgroundScrub({
      dataDir: config.dataDir,
      store,
      blobs: await openLocalDirectoryBlobs(join(config.dataDir, BLOBS_DIR)),
      repair: repairTargets.length > 0 ? repairSourceFrom(repairTargets, env[PASSPHRASE_ENV]) : null,
      bytesPerSecond,
      intervalHours: config.scrubIntervalHours ?? 168,
      status: scrubStatus,
      log,
    });
  }
  const drillSeconds = config.backupDrillIntervalSeconds ?? 0;
  if (config.backupTargets !== undefined && drillSeconds > 0) {
    drills = startDrillSchedule({ dataDir: config.dataDir, store, backupTargets: config.backupTargets, intervalSeconds: drillSeconds, env, log });
  }
  return {
    scrubStatus,
    async stop() {
      await scrub?.stop();
      await drills?.stop();
      for (const target of repairTargets) await target.close();
    },
  };
}
