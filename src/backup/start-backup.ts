// Starts continuous backup inside the server when targets are configured.
import type { Store } from '../store/store.ts';
import type { BackupFollower, FollowerLog } from './follower.ts';
import { startBackupFollower } from './follower.ts';
import { openTarget, parseTarget, splitTargets } from './parse-target.ts';
import { openBackupSource } from './sqlite-source.ts';
import type { BackupTarget } from './target.ts';
import { PASSPHRASE_ENV } from './encryption.ts';
import type { RetentionPolicy } from './retention.ts';
import { DEFAULT_RETENTION } from './retention.ts';

export interface BackupSettings {
  backupTargets?: string | undefined;
  backupSnapshotEveryChanges?: number | undefined;
  backupPrune?: boolean | undefined;
  backupKeepAllDays?: number | undefined;
  backupKeepDailyDays?: number | undefined;
  backupKeepMonthlyMonths?: number | undefined;
}

/** The retention policy the settings ask for, or null when pruning is off. */
export function retentionPolicyOf(settings: BackupSettings): RetentionPolicy | null {
  if (settings.backupPrune === false) return null;
  return {
    keepAllDays: settings.backupKeepAllDays ?? DEFAULT_RETENTION.keepAllDays,
    keepDailyDays: settings.backupKeepDailyDays ?? DEFAULT_RETENTION.keepDailyDays,
    keepMonthlyMonths: settings.backupKeepMonthlyMonths ?? DEFAULT_RETENTION.keepMonthlyMonths,
  };
}

/** Opens every configured target; throws with the target's problem if one cannot be. */
export async function openConfiguredTargets(text: string, env: Record<string, string | undefined>): Promise<BackupTarget[]> {
  const targets: BackupTarget[] = [];
  try {
    for (const written of splitTargets(text)) {
      const parsed = parseTarget(written);
      if (parsed.kind === 'invalid') throw new Error(parsed.reason);
      targets.push(await openTarget(parsed.spec, env));
    }
  } catch (error) {
    for (const target of targets) await target.close();
    throw error;
  }
  return targets;
}

export async function startConfiguredBackup(
  settings: BackupSettings,
  store: Store,
  dataDir: string,
  log: FollowerLog,
  env: Record<string, string | undefined> = process.env,
): Promise<BackupFollower | null> {
  if (settings.backupTargets === undefined) return null;
  const targets = await openConfiguredTargets(settings.backupTargets, env);
  const policy = retentionPolicyOf(settings);
  const follower = startBackupFollower({
    store,
    source: openBackupSource(dataDir),
    targets,
    log,
    passphrase: env[PASSPHRASE_ENV],
    retention: policy === null ? undefined : { policy, passphrase: env[PASSPHRASE_ENV] },
    ...(settings.backupSnapshotEveryChanges === undefined ? {} : { snapshotEveryChanges: settings.backupSnapshotEveryChanges }),
  });
  log.info({ targets: targets.map((t) => t.description) }, `continuous backup to ${targets.map((t) => t.description).join(', ')}`);
  return follower;
}
