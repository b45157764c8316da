// `holdfast backup prune [--dry-run]`: applies the retention policy to each target by hand
// and says what goes and which points stay restorable. The server does this by itself
// after each snapshot and daily; by hand, it must not run while a server backs up to the
// same target (see docs/backup.md#retention).
import { parseArgs } from 'node:util';
import { PASSPHRASE_ENV } from '../backup/encryption.ts';
import type { PruneReport } from '../backup/retention-prune.ts';
import { pruneBackup } from '../backup/retention-prune.ts';
import type { RetentionPolicy } from '../backup/retention.ts';
import { DEFAULT_RETENTION } from '../backup/retention.ts';
import { loadConfig } from '../server/config.ts';
import { openCommandTargets } from './backup-targets.ts';
import { EXIT, HELP_OPTION, parseCommandArgs, usageError, writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes } from './layout.ts';

export const PRUNE_USAGE = `Usage:
  holdfast backup prune [--target TARGET]... [--dry-run] [--json]

Removes the snapshots, segments and blobs the retention policy does not keep
(backupKeepAllDays, backupKeepDailyDays, backupKeepMonthlyMonths; see
docs/backup.md#retention), and lists the points in time that stay restorable.
Do not run it while a server backs up to the same target: the server prunes by itself.

Options:
  --target TARGET    "dir:/path" or "s3://bucket/prefix"; may be given more than once.
                     Default: the server's targets (HOLDFAST_BACKUP_TARGETS or the config file)
  --dry-run          say what would be removed, remove nothing
  --json             print JSON instead of aligned lines
  --config FILE      a JSON file of settings, as for serve (or HOLDFAST_CONFIG)
  --help, -h         show this help
`;

const OPTIONS = {
  ...HELP_OPTION,
  target: { type: 'string', multiple: true },
  config: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

export async function backupPrune(args: string[], io: CliIo, now: () => Date = () => new Date()): Promise<number> {
  const parsed = parseCommandArgs(io, PRUNE_USAGE, [], () => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
  if (parsed.kind === 'exit') return parsed.code;
  const { values } = parsed;
  const loaded = await loadConfig({ flags: { config: values.config }, env: io.env });
  if (loaded.kind === 'invalid') {
    writeLine(io.stderr, 'holdfast: the settings are not valid:');
    for (const error of loaded.errors) writeLine(io.stderr, `  ${error}`);
    return EXIT.usage;
  }
  const policy: RetentionPolicy = {
    keepAllDays: loaded.config.backupKeepAllDays ?? DEFAULT_RETENTION.keepAllDays,
    keepDailyDays: loaded.config.backupKeepDailyDays ?? DEFAULT_RETENTION.keepDailyDays,
    keepMonthlyMonths: loaded.config.backupKeepMonthlyMonths ?? DEFAULT_RETENTION.keepMonthlyMonths,
  };
  const opened = await openCommandTargets(io, values.target, values.config);
  if (opened.kind === 'usage') return usageError(io, opened.message, PRUNE_USAGE);
  if (opened.kind === 'invalid-settings') return EXIT.usage;
  const results: Array<PruneReport | { target: string; error: string }> = [];
  let failed = false;
  try {
    for (const target of opened.targets) {
      try {
        const outcome = await pruneBackup(target, { policy, now: now(), passphrase: io.env[PASSPHRASE_ENV], dryRun: values['dry-run'] === true });
        if (outcome.kind === 'pruned') {
          results.push(outcome.report);
          if (values.json !== true) describe(io, outcome.report);
          continue;
        }
        if (outcome.kind === 'empty') {
          if (values.json !== true) writeLine(io.stdout, `${target.description}: no backup yet, nothing to prune`);
          results.push({ target: target.description, error: 'no backup yet' });
          continue;
        }
        failed = true;
        results.push({ target: target.description, error: outcome.reason });
        if (values.json !== true) writeLine(io.stderr, `holdfast: prune of ${target.description} refused: ${outcome.reason}`);
      } catch (error) {
        failed = true;
        const message = error instanceof Error ? error.message : String(error);
        results.push({ target: target.description, error: message });
        if (values.json !== true) writeLine(io.stderr, `holdfast: prune of ${target.description} failed (what is kept is unaffected; run it again): ${message}`);
      }
    }
  } finally {
    for (const target of opened.targets) await target.close();
  }
  if (values.json === true) writeLine(io.stdout, JSON.stringify(results, null, 2));
  return failed ? EXIT.failed : EXIT.ok;
}

function describe(io: CliIo, report: PruneReport): void {
  const { removed } = report;
  const verb = report.dryRun ? 'would remove' : 'removed';
  writeLine(
    io.stdout,
    `${report.target}: ${verb} ${removed.snapshots.length} snapshot(s), ${removed.segments.length} segment(s), ${removed.blobs.length} blob(s)` +
      `${removed.leftovers.length > 0 ? ` and ${removed.leftovers.length} leftover object(s)` : ''} (${formatBytes(removed.bytes)})`,
  );
  writeLine(io.stdout, `  policy: every point of the last ${report.policy.keepAllDays} day(s) (since ${report.windowFrom}), the newest snapshot of each of the last ${report.policy.keepDailyDays} day(s) and ${report.policy.keepMonthlyMonths} month(s)`);
  for (const span of report.promised.spans) {
    const how = span.bySeq ? '' : ' (reached with --at only: a newer generation has the same sequence numbers)';
    writeLine(io.stdout, `  keeps every point of generation ${span.generation} from sequence ${span.fromSeq} (${span.fromTime}) to ${span.toSeq}${how}`);
  }
  for (const snapshot of report.promised.snapshots) {
    writeLine(io.stdout, `  keeps generation ${snapshot.generation} sequence ${snapshot.seq} (${snapshot.takenAt}, ${snapshot.reasons.join(' and ')})`);
  }
  const oldest = report.restorable[0];
  const newest = report.restorable.at(-1);
  if (oldest !== undefined && newest !== undefined) {
    writeLine(io.stdout, `  restorable ${report.dryRun ? 'after it' : 'now'}: oldest generation ${oldest.generation} sequence ${oldest.fromSeq} (${oldest.fromTime}), newest generation ${newest.generation} sequence ${newest.toSeq} (${newest.toTime})`);
  }
}
