// `holdfast scrub`: the scrub by hand, as fast as the disk goes — every blob re-read and
// checked against its hash, the metadata's integrity checked, bad or missing blobs repaired
// from a backup target (the bad copy moved to quarantine). Exits 1 while anything is wrong
// and unrepaired, naming each problem.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PASSPHRASE_ENV } from '../backup/encryption.ts';
import type { BackupTarget } from '../backup/target.ts';
import { checkMetadataFile, metadataRestoreAdvice } from '../scrub/check-metadata.ts';
import { repairSourceFrom } from '../scrub/repair-source.ts';
import { runScrubPass } from '../scrub/scrub-pass.ts';
import type { ScrubProblem, ScrubProgress } from '../scrub/scrub-pass.ts';
import { loadConfig } from '../server/config.ts';
import { openLocalDirectoryBlobs } from '../store/blobs/local-directory.ts';
import { BLOBS_DIR } from '../store/data-directory.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { openCommandTargets } from './backup-targets.ts';
import { EXIT, HELP_OPTION, failure, parseCommandArgs, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes } from './layout.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE } from './open-data-store.ts';

const USAGE = `Usage:
  holdfast scrub [--data DIR] [--repair-from TARGET]... [--no-repair] [--json]

Re-reads every blob and checks it against its SHA-256, checks the metadata database's
integrity (PRAGMA integrity_check) and that every blob it names is on disk. A bad or
missing blob is repaired from a backup target: the good copy is checked against its
hash, the bad copy moved to DIR/quarantine/ (never deleted), then the good one written.
A damaged metadata database cannot be repaired in place: the command says so and
prints the 'holdfast restore' command to run. Safe while the server runs.

Options:
  --repair-from TARGET  repair from this backup target ("dir:/path" or
                     "s3://bucket/prefix"); may be given more than once. Default: the
                     server's backupTargets, if set. An encrypted target's passphrase
                     comes from HOLDFAST_BACKUP_PASSPHRASE
  --no-repair        only report; change nothing
  --json             print one JSON report instead of progress and lines
${STORE_OPTIONS_USAGE}  --help, -h         show this help

Exit codes: 0 all good (or everything found was repaired), 1 something is wrong and
unrepaired, 2 wrong usage.
`;

export const scrubCommand: Command = {
  name: 'scrub',
  summary: 'check every blob and the metadata, and repair bad blobs from a backup',
  usage: USAGE,
  run: runScrub,
};

const OPTIONS = {
  ...STORE_OPTIONS,
  ...HELP_OPTION,
  'repair-from': { type: 'string', multiple: true },
  'no-repair': { type: 'boolean' },
  json: { type: 'boolean' },
} as const;

async function runScrub(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, [], () => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
  if (parsed.kind === 'exit') return parsed.code;
  const values = parsed.values;
  const loaded = await loadConfig({ flags: { data: values.data, config: values.config, 'store-id': values['store-id'] }, env: io.env });
  if (loaded.kind === 'invalid') {
    writeLine(io.stderr, 'holdfast: the settings are not valid:');
    for (const error of loaded.errors) writeLine(io.stderr, `  ${error}`);
    return EXIT.usage;
  }
  const { dataDir } = loaded.config;

  let targets: BackupTarget[] = [];
  if (values['no-repair'] !== true && (values['repair-from'] !== undefined || loaded.config.backupTargets !== undefined)) {
    const opened = await openCommandTargets(io, values['repair-from'], values.config);
    if (opened.kind === 'usage') return usageError(io, opened.message, USAGE);
    if (opened.kind === 'invalid-settings') return EXIT.usage;
    targets = opened.targets;
  }
  try {
    // The database is examined on its own first: one too damaged to open as a store must
    // still be named, and its blobs still checked.
    const metadata = checkMetadataFile(dataDir, { quick: false });
    let store: Store | null = null;
    if (metadata.kind === 'ok') {
      const opened = await openStore({ dataDir, expectedStoreId: loaded.config.storeId, initializeIfEmpty: false, migrateIfOlder: false });
      if (opened.kind === 'refused') return failure(io, opened.reason);
      store = opened.store;
    }
    try {
      const blobs = await openLocalDirectoryBlobs(join(dataDir, BLOBS_DIR));
      let total = 0;
      for await (const _hash of blobs.list()) total += 1;
      const json = values.json === true;
      const progress = json ? null : scrubProgress(io, total);
      if (!json) writeLine(io.stderr, `scrubbing ${dataDir}: ${total} blob(s) and the metadata${targets.length > 0 ? `, repairing from ${targets.map((t) => t.description).join(', ')}` : ', report only'}`);
      const report = await runScrubPass({
        dataDir,
        blobs,
        store,
        repair: targets.length > 0 ? repairSourceFrom(targets, io.env[PASSPHRASE_ENV]) : null,
        bytesPerSecond: null,
        useCheckpoint: false,
        metadataCheck: 'full',
        ...(progress ? { onProgress: (p: ScrubProgress) => progress.report(p) } : {}),
        onProblem: (problem) => {
          progress?.interrupt();
          if (!json) writeLine(io.stdout, describeProblem(problem));
        },
      });
      progress?.done();
      const unrepaired = report.problems.filter((p) => !p.repaired);
      const advice = report.metadataOk ? null : metadataRestoreAdvice(dataDir, targets.map((t) => t.description));
      if (json) {
        writeLine(io.stdout, JSON.stringify({ ok: unrepaired.length === 0, dataDir, ...report, unrepaired: unrepaired.length, restoreAdvice: advice }, null, 2));
      } else {
        writeLine(
          io.stdout,
          `checked ${report.blobsChecked} blob(s) (${formatBytes(report.bytesChecked)}) and the metadata: ${report.problems.length} problem(s), ` +
            `${report.problems.length - unrepaired.length} repaired, ${unrepaired.length} not repaired`,
        );
        if (advice !== null) writeLine(io.stderr, `\nholdfast: THE METADATA DATABASE IS DAMAGED.\n${advice}`);
      }
      return unrepaired.length === 0 ? EXIT.ok : EXIT.failed;
    } finally {
      await store?.close();
    }
  } finally {
    for (const target of targets) await target.close();
  }
}

function describeProblem(problem: ScrubProblem): string {
  if (problem.repaired) {
    const moved = problem.quarantinedTo === null ? '' : `; the bad copy is in ${problem.quarantinedTo}`;
    return `REPAIRED  ${problem.detail} (good copy from ${problem.repairedFrom ?? '?'}${moved})`;
  }
  if (problem.kind === 'metadata-corrupt' || problem.kind === 'metadata-inconsistent') return `DAMAGED   metadata: ${problem.detail}`;
  return `DAMAGED   ${problem.detail} — not repaired: ${problem.unrepairedReason ?? 'unknown'}`;
}

const BAR_WIDTH = 30;
const PLAIN_EVERY_MS = 2000;

/** A bar redrawn in place on a terminal; a line every few seconds otherwise. */
function scrubProgress(io: CliIo, total: number) {
  let drew = false;
  let lastPlain = 0;
  const line = (p: ScrubProgress): string => {
    const fraction = total === 0 ? 1 : Math.min(1, p.blobsChecked / total);
    const filled = Math.round(fraction * BAR_WIDTH);
    return `scrubbing [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${p.blobsChecked}/${total} blob(s), ${formatBytes(p.bytesChecked)}`;
  };
  return {
    report(p: ScrubProgress) {
      if (io.isTTY) {
        io.stderr.write(`\r\u001b[2K${line(p)}`);
        drew = true;
      } else if (Date.now() - lastPlain >= PLAIN_EVERY_MS || p.blobsChecked === total) {
        io.stderr.write(`${line(p)}\n`);
        lastPlain = Date.now();
      }
    },
    /** Clears the bar so a problem's line is not written over it. */
    interrupt() {
      if (io.isTTY && drew) io.stderr.write('\r\u001b[2K');
    },
    done() {
      if (io.isTTY && drew) io.stderr.write('\n');
    },
  };
}
