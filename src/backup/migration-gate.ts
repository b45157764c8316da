// The server's rule for schema upgrades: an existing store is migrated only once a copy of
// it is on every configured backup target and has been read back and checked. With no
// target, it refuses unless the operator has said, for this start, that one is not needed.
import { PASSPHRASE_ENV } from './encryption.ts';
import { backUpBeforeMigration } from './pre-migration-backup.ts';
import { openConfiguredTargets } from './start-backup.ts';

export interface MigrationGateSettings {
  backupTargets?: string | undefined;
  allowMigrationWithoutBackup?: boolean | undefined;
}

export interface MigrationGateLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export function migrationGate(settings: MigrationGateSettings, env: Record<string, string | undefined>, log: MigrationGateLog) {
  return async (upgrade: { dataDir: string; storeId: string; from: number; to: number }): Promise<string | null> => {
    const { dataDir, from, to } = upgrade;
    if (settings.backupTargets === undefined) {
      if (settings.allowMigrationWithoutBackup === true) {
        log.warn({ from, to }, `upgrading the schema from version ${from} to ${to} with no backup target, as allowed by allowMigrationWithoutBackup; only the local safety copy protects it`);
        return null;
      }
      return (
        `the store in ${dataDir} needs its schema upgraded from version ${from} to ${to}, and no backup target is configured to hold a copy first. ` +
        'Configure one (HOLDFAST_BACKUP_TARGETS="dir:/mnt/backup" or backupTargets in the config file) and start again: the server copies the store there and checks it before upgrading. ' +
        'Or, to upgrade with only the local safety copy, start once with --allow-migration-without-backup (HOLDFAST_ALLOW_MIGRATION_WITHOUT_BACKUP=true).'
      );
    }
    let targets;
    try {
      targets = await openConfiguredTargets(settings.backupTargets, env);
    } catch (error) {
      return (
        `refusing to upgrade the schema from version ${from} to ${to}: a backup target cannot be opened to hold a copy first ` +
        `(${error instanceof Error ? error.message : String(error)}). Fix it and start again; nothing was changed.`
      );
    }
    try {
      for (const target of targets) {
        log.info({ target: target.description, from, to }, `before upgrading the schema from version ${from} to ${to}: copying the store to ${target.description} and checking it`);
        const result = await backUpBeforeMigration(target, { ...upgrade, passphrase: env[PASSPHRASE_ENV] });
        if (result.kind === 'failed') {
          return (
            `refusing to upgrade the schema from version ${from} to ${to}: the copy to ${result.target} could not be made and checked (${result.reason}). ` +
            'Fix the target (is it mounted, writable, reachable?) and start again; nothing was changed.'
          );
        }
        log.info({ target: result.target, object: result.object, blobs: result.blobs }, `the store as it was before the upgrade is on ${result.target} as ${result.object}, checked`);
      }
    } finally {
      for (const target of targets) await target.close();
    }
    return null;
  };
}
