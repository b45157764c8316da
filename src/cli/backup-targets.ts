// Which targets a backup command works on: `--target` flags, or else the server's
// configured backupTargets (HOLDFAST_BACKUP_TARGETS or the config file).
import { parseTarget } from '../backup/parse-target.ts';
import { openConfiguredTargets } from '../backup/start-backup.ts';
import { openTarget } from '../backup/parse-target.ts';
import type { BackupTarget } from '../backup/target.ts';
import { loadConfig } from '../server/config.ts';
import { writeLine } from './command.ts';
import type { CliIo } from './io.ts';

export type TargetsResult = { kind: 'opened'; targets: BackupTarget[] } | { kind: 'usage'; message: string } | { kind: 'invalid-settings' };

export async function openCommandTargets(io: CliIo, given: string[] | undefined, configFile: string | undefined): Promise<TargetsResult> {
  if (given !== undefined && given.length > 0) {
    const targets: BackupTarget[] = [];
    for (const text of given) {
      const parsed = parseTarget(text);
      if (parsed.kind === 'invalid') {
        for (const target of targets) await target.close();
        return { kind: 'usage', message: parsed.reason };
      }
      targets.push(await openTarget(parsed.spec, io.env));
    }
    return { kind: 'opened', targets };
  }
  const loaded = await loadConfig({ flags: { config: configFile }, env: io.env });
  if (loaded.kind === 'invalid') {
    writeLine(io.stderr, 'holdfast: the settings are not valid:');
    for (const error of loaded.errors) writeLine(io.stderr, `  ${error}`);
    return { kind: 'invalid-settings' };
  }
  if (loaded.config.backupTargets === undefined) {
    return { kind: 'usage', message: 'no backup target: pass --target TARGET, or set HOLDFAST_BACKUP_TARGETS (or backupTargets in the config file)' };
  }
  return { kind: 'opened', targets: await openConfiguredTargets(loaded.config.backupTargets, io.env) };
}

export async function openOneTarget(io: CliIo, text: string): Promise<{ kind: 'opened'; target: BackupTarget } | { kind: 'usage'; message: string }> {
  const parsed = parseTarget(text);
  if (parsed.kind === 'invalid') return { kind: 'usage', message: parsed.reason };
  return { kind: 'opened', target: await openTarget(parsed.spec, io.env) };
}
