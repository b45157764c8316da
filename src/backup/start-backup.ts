// Starts continuous backup inside the server when targets are configured.
import type { Store } from '../store/store.ts';
import type { BackupFollower, FollowerLog } from './follower.ts';
import { startBackupFollower } from './follower.ts';
import { openTarget, parseTarget, splitTargets } from './parse-target.ts';
import { openBackupSource } from './sqlite-source.ts';
import type { BackupTarget } from './target.ts';
import { PASSPHRASE_ENV } from './encryption.ts';

export interface BackupSettings {
  backupTargets?: string | undefined;
  backupSnapshotEveryChanges?: number | undefined;
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
  const follower = startBackupFollower({
    store,
    source: openBackupSource(dataDir),
    targets,
    log,
    passphrase: env[PASSPHRASE_ENV],
    ...(settings.backupSnapshotEveryChanges === undefined ? {} : { snapshotEveryChanges: settings.backupSnapshotEveryChanges }),
  });
  log.info({ targets: targets.map((t) => t.description) }, `continuous backup to ${targets.map((t) => t.description).join(', ')}`);
  return follower;
}
