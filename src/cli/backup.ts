// `holdfast backup run|status|list|verify`: the backup by hand (a catch-up pass for cron),
// what each target covers and how far behind it is, and the proof that it restores.
import { parseArgs } from 'node:util';
import { coverage, readCatalog } from '../backup/catalog.ts';
import type { Catalog, ReadCatalogResult } from '../backup/catalog.ts';
import { PASSPHRASE_ENV } from '../backup/encryption.ts';
import { unlockTarget } from '../backup/unlock-target.ts';
import { TargetShipper } from '../backup/ship.ts';
import { openBackupSource } from '../backup/sqlite-source.ts';
import type { BackupTarget } from '../backup/target.ts';
import { verifyBackup } from '../backup/verify.ts';
import { restorableSpans } from '../backup/retention-coverage.ts';
import { backupPrune } from './backup-prune.ts';
import { loadConfig } from '../server/config.ts';
import { openStore } from '../store/open-store.ts';
import type { StoreIdentity } from '../store/types.ts';
import { progressOutput } from './backup-progress.ts';
import { openCommandTargets } from './backup-targets.ts';
import { EXIT, HELP_OPTION, failure, parseCommandArgs, runSubcommand, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes, formatTable } from './layout.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE, withStore } from './open-data-store.ts';

const TARGET_USAGE = `  --target TARGET    "dir:/path" or "s3://bucket/prefix"; may be given more than once.
                     Default: the server's targets (HOLDFAST_BACKUP_TARGETS or the
                     config file). S3 endpoint and credentials come from
                     HOLDFAST_S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY;
                     an encrypted target's passphrase from HOLDFAST_BACKUP_PASSPHRASE`;

const USAGE = `Usage:
  holdfast backup run [--target TARGET]... [--json]
  holdfast backup status [--target TARGET]... [--json]
  holdfast backup list [--target TARGET]... [--json]
  holdfast backup verify [--target TARGET]... [--json]
  holdfast backup prune [--target TARGET]... [--dry-run] [--json]

run      ships every change the targets lack, then exits (for cron; the server does
         this continuously when backupTargets is set)
status   how far each target is behind the store, and what it covers
list     the snapshots on each target and the span of time each generation covers
verify   checks every checksum and blob on the target, restores it into scratch
         space and checks the restored store; exits 1 and names what is wrong
prune    removes what the retention policy does not keep, and lists the points
         that stay restorable (holdfast backup prune --help)

Options:
${TARGET_USAGE}
  --json             print JSON instead of aligned lines
${STORE_OPTIONS_USAGE}  --help, -h         show this help
`;

export const backupCommand: Command = {
  name: 'backup',
  summary: 'back up now, see what the backup covers, and verify that it restores',
  usage: USAGE,
  run: (args, io) => runSubcommand(io, 'backup', USAGE, { run: backupRun, status: backupStatus, list: backupList, verify: backupVerify, prune: (rest, cliIo) => backupPrune(rest, cliIo) }, args),
};

const OPTIONS = {
  ...STORE_OPTIONS,
  ...HELP_OPTION,
  target: { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseOptions>['values'];

function parseOptions(args: string[]) {
  return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
}

/** Parses, opens the targets, runs `use`, closes the targets. */
async function withTargets(args: string[], io: CliIo, use: (values: Values, targets: BackupTarget[]) => Promise<number>): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, [], () => parseOptions(args));
  if (parsed.kind === 'exit') return parsed.code;
  const opened = await openCommandTargets(io, parsed.values.target, parsed.values.config);
  if (opened.kind === 'usage') return usageError(io, opened.message, USAGE);
  if (opened.kind === 'invalid-settings') return EXIT.usage;
  try {
    return await use(parsed.values, opened.targets);
  } finally {
    for (const target of opened.targets) await target.close();
  }
}

async function backupRun(args: string[], io: CliIo): Promise<number> {
  return withTargets(args, io, (values, targets) =>
    withStore(io, values, async ({ store, dataDir }) => {
      const source = openBackupSource(dataDir);
      const results = [];
      let failed = false;
      try {
        for (const target of targets) {
          try {
            const result = await new TargetShipper(target, { store, source, passphrase: io.env[PASSPHRASE_ENV] }).pass();
            results.push({ target: target.description, ok: true, ...result });
            if (values.json !== true) {
              writeLine(io.stdout, `${target.description}: shipped ${result.changes} change(s), ${result.blobs} blob(s), ${result.snapshots} snapshot(s); holds everything up to sequence ${result.shippedSeq}`);
            }
          } catch (error) {
            failed = true;
            const message = error instanceof Error ? error.message : String(error);
            results.push({ target: target.description, ok: false, error: message });
            if (values.json !== true) writeLine(io.stderr, `holdfast: backup to ${target.description} failed: ${message}`);
          }
        }
      } finally {
        source.close();
      }
      if (values.json === true) writeLine(io.stdout, JSON.stringify(results, null, 2));
      return failed ? EXIT.failed : EXIT.ok;
    }),
  );
}

/** The store's identity, if the data directory can be opened; status works without it. */
async function storeIdentity(io: CliIo, values: Values): Promise<StoreIdentity | string> {
  const loaded = await loadConfig({ flags: { data: values.data, config: values.config, 'store-id': values['store-id'] }, env: io.env });
  if (loaded.kind === 'invalid') return loaded.errors.join('; ');
  const opened = await openStore({ dataDir: loaded.config.dataDir, expectedStoreId: loaded.config.storeId, initializeIfEmpty: false, migrateIfOlder: false });
  if (opened.kind === 'refused') return opened.reason;
  try {
    return await opened.store.identity();
  } finally {
    await opened.store.close();
  }
}

async function backupStatus(args: string[], io: CliIo): Promise<number> {
  return withTargets(args, io, async (values, targets) => {
    const identity = await storeIdentity(io, values);
    const rows = [];
    for (const target of targets) {
      const read = await readUnlocked(io, target);
      if (read.kind !== 'ok') {
        rows.push({ target: target.description, state: read.kind === 'empty' ? 'empty' : 'unreadable', problem: read.kind === 'invalid' ? read.reason : null });
        continue;
      }
      const latest = read.catalog.generations.at(-1);
      const covered = latest ? coverage(latest) : null;
      const sameGeneration = typeof identity !== 'string' && latest?.generation === identity.generation;
      rows.push({
        target: target.description,
        state: 'ok',
        storeId: read.catalog.header.storeId,
        generation: latest?.generation ?? null,
        shippedSeq: covered?.toSeq ?? null,
        lastChangeAt: covered?.toTime ?? null,
        behindChanges: sameGeneration && covered ? Math.max(0, identity.sequence - covered.toSeq) : null,
        problems: read.catalog.problems,
      });
    }
    if (values.json === true) {
      writeLine(io.stdout, JSON.stringify({ store: typeof identity === 'string' ? { unreachable: identity } : identity, targets: rows }, null, 2));
      return EXIT.ok;
    }
    if (typeof identity === 'string') writeLine(io.stdout, `store: not opened (${identity}); showing the targets only`);
    else writeLine(io.stdout, `store ${identity.storeId}, generation ${identity.generation}, sequence ${identity.sequence}`);
    io.stdout.write(
      formatTable(
        ['TARGET', 'GENERATION', 'HOLDS UP TO', 'BEHIND', 'LAST CHANGE'],
        rows.map((row) =>
          'shippedSeq' in row
            ? [row.target, String(row.generation ?? '-'), String(row.shippedSeq ?? '-'), row.behindChanges === null ? '-' : `${row.behindChanges} change(s)`, row.lastChangeAt ?? '-']
            : [row.target, '-', '-', '-', row.state === 'empty' ? '(no backup yet)' : `(unreadable: ${row.problem ?? ''})`],
        ),
      ),
    );
    return EXIT.ok;
  });
}

/** The catalogue through the passphrase, if the target is encrypted. */
async function readUnlocked(io: CliIo, target: BackupTarget): Promise<ReadCatalogResult> {
  const unlocked = await unlockTarget(target, io.env[PASSPHRASE_ENV]);
  if (unlocked.kind === 'empty') return { kind: 'empty' };
  if (unlocked.kind === 'refused') return { kind: 'invalid', reason: unlocked.reason };
  return readCatalog(unlocked.target);
}

function listEntries(catalog: Catalog) {
  return catalog.generations.map((generation) => ({
    generation: generation.generation,
    ...coverage(generation),
    segments: generation.segments.length,
    // After retention, the spans of consecutive points that restore exactly.
    restorable: restorableSpans(generation),
    snapshots: generation.snapshots.map((s) => ({ seq: s.seq, takenAt: s.takenAt, bytes: s.bytes, object: s.object })),
  }));
}

async function backupList(args: string[], io: CliIo): Promise<number> {
  return withTargets(args, io, async (values, targets) => {
    const all = [];
    for (const target of targets) {
      const read = await readUnlocked(io, target);
      if (read.kind === 'invalid') return failure(io, read.reason);
      all.push({ target: target.description, generations: read.kind === 'ok' ? listEntries(read.catalog) : [] });
    }
    if (values.json === true) {
      writeLine(io.stdout, JSON.stringify(all, null, 2));
      return EXIT.ok;
    }
    for (const { target, generations } of all) {
      writeLine(io.stdout, `${target}:`);
      if (generations.length === 0) writeLine(io.stdout, '  no backup yet');
      const spans = generations.flatMap((g) => g.restorable);
      const oldest = spans.reduce<(typeof spans)[number] | undefined>((o, s) => (o === undefined || s.fromTime < o.fromTime ? s : o), undefined);
      const newest = generations.at(-1)?.restorable.at(-1);
      if (oldest !== undefined && newest !== undefined) {
        writeLine(io.stdout, `  oldest restorable point: ${oldest.fromTime} (generation ${oldest.generation}, sequence ${oldest.fromSeq}); newest: ${newest.toTime} (generation ${newest.generation}, sequence ${newest.toSeq})`);
      }
      for (const g of generations) {
        writeLine(io.stdout, `  generation ${g.generation}: sequence ${g.fromSeq} to ${g.toSeq}, ${g.fromTime ?? '?'} to ${g.toTime ?? '?'}, ${g.segments} segment(s)`);
        for (const span of g.restorable) writeLine(io.stdout, `    restorable: every point from sequence ${span.fromSeq} (${span.fromTime}) to ${span.toSeq} (${span.toTime})`);
        io.stdout.write(
          formatTable(
            ['    SNAPSHOT AT SEQUENCE', 'TAKEN', 'SIZE'],
            g.snapshots.map((s) => [`    ${s.seq}`, s.takenAt, formatBytes(s.bytes)]),
          ),
        );
      }
    }
    return EXIT.ok;
  });
}

async function backupVerify(args: string[], io: CliIo): Promise<number> {
  return withTargets(args, io, async (values, targets) => {
    const reports = [];
    for (const target of targets) {
      const progress = progressOutput(io.stderr, io.isTTY);
      if (values.json !== true) writeLine(io.stderr, `verifying ${target.description}: every checksum, every blob, then a restore into scratch space`);
      const passphrase = io.env[PASSPHRASE_ENV];
      const report = await verifyBackup(target, values.json === true ? { passphrase } : { passphrase, onProgress: progress.report });
      progress.done();
      reports.push(report);
      if (values.json === true) continue;
      if (report.ok) {
        const restored = report.restored;
        writeLine(
          io.stdout,
          `${target.description}: OK — ${report.checked.snapshots} snapshot(s), ${report.checked.segments} segment(s), ${report.checked.blobs} blob(s) checked (${formatBytes(report.checked.bytes)}); ` +
            `restores to sequence ${restored?.seq ?? '?'} (${restored?.lastChangeAt ?? 'snapshot'}) and the restored store passes its integrity check`,
        );
      } else {
        writeLine(io.stdout, `${target.description}: FAILED — ${report.problems.length} problem(s):`);
        for (const problem of report.problems) writeLine(io.stdout, `  ${problem}`);
      }
    }
    if (values.json === true) writeLine(io.stdout, JSON.stringify(reports, null, 2));
    return reports.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
  });
}
