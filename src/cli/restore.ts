// `holdfast restore`: rebuilds a store from a backup target at a point in time.
import { parseArgs } from 'node:util';
import { describePoint } from '../backup/choose-point.ts';
import type { RestorePoint } from '../backup/choose-point.ts';
import { restoreToPointInTime } from '../backup/restore.ts';
import { PASSPHRASE_ENV } from '../backup/encryption.ts';
import { progressOutput } from './backup-progress.ts';
import { openOneTarget } from './backup-targets.ts';
import { EXIT, HELP_OPTION, failure, parseCommandArgs, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes, formatFields } from './layout.ts';

const USAGE = `Usage:
  holdfast restore --from TARGET --to DIR [--at TIME | --seq N] [--force] [--json]

Rebuilds the store backed up to TARGET in the directory DIR, as it was at a point in
time: the newest snapshot at or before it, then every change after the snapshot up to
the point. Every blob and the whole metadata are checked before it says "restored".

The restored store keeps its store id and starts a new generation, so devices notice
that the server was restored and re-sync (their old sync tokens are refused). Serve it
with 'holdfast serve --data DIR'.

Options:
  --from TARGET      the backup: "dir:/path" or "s3://bucket/prefix" (S3 endpoint and
                     credentials from HOLDFAST_S3_ENDPOINT, AWS_ACCESS_KEY_ID and
                     AWS_SECRET_ACCESS_KEY)
  --to DIR           where to rebuild the store: a new or empty directory
  --at TIME          restore the store as it was at this moment (ISO 8601, e.g.
                     2026-03-01T12:00:00Z); default: the latest point the target holds
  --seq N            restore up to and including change N of the newest generation
  --force            DIR holds something: move it aside to DIR.before-restore-TIME
                     first (nothing is ever deleted)
  --json             print one JSON object when done, and no progress
  --help, -h         show this help

An encrypted backup needs its passphrase in HOLDFAST_BACKUP_PASSPHRASE.

Exit codes: 0 restored and checked, 1 failed (the message says why), 2 wrong usage.
`;

export const restoreCommand: Command = {
  name: 'restore',
  summary: 'rebuild a store from a backup target, at any point in time it covers',
  usage: USAGE,
  run: runRestore,
};

async function runRestore(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, [], () =>
    parseArgs({
      args,
      options: {
        ...HELP_OPTION,
        from: { type: 'string' },
        to: { type: 'string' },
        at: { type: 'string' },
        seq: { type: 'string' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const { values } = parsed;
  if (values.from === undefined) return usageError(io, 'missing --from TARGET', USAGE);
  if (values.to === undefined) return usageError(io, 'missing --to DIR', USAGE);
  const point = parsePoint(values.at, values.seq);
  if (typeof point === 'string') return usageError(io, point, USAGE);
  const opened = await openOneTarget(io, values.from);
  if (opened.kind === 'usage') return usageError(io, opened.message, USAGE);
  const { target } = opened;
  const json = values.json === true;
  const progress = progressOutput(io.stderr, io.isTTY);
  try {
    if (!json) writeLine(io.stderr, `restoring ${describePoint(point)} from ${target.description} into ${values.to}`);
    const outcome = await restoreToPointInTime({
      target,
      to: values.to,
      point,
      force: values.force === true,
      passphrase: io.env[PASSPHRASE_ENV],
      ...(json ? {} : { onProgress: progress.report }),
    });
    progress.done();
    if (json) writeLine(io.stdout, JSON.stringify(outcome, null, 2));
    switch (outcome.kind) {
      case 'restored': {
        if (!outcome.integrity.ok) {
          if (!json) for (const problem of outcome.integrity.problems) writeLine(io.stderr, `  ${problem.kind}: ${problem.detail}`);
          return failure(io, `the store restored into ${outcome.dataDir} fails its integrity check (above); do not serve it, and run 'holdfast backup verify --target ${target.description}'`);
        }
        if (!json) {
          io.stdout.write(
            formatFields([
              ['restored into', outcome.dataDir],
              ['store id', outcome.storeId],
              ['generation', `${outcome.generation} (new; the backup's was ${outcome.fromGeneration})`],
              ['sequence', String(outcome.seq)],
              ['last change', outcome.lastChangeAt ?? `(the snapshot at sequence ${outcome.snapshotSeq})`],
              ['replayed', `${outcome.records} change(s) from ${outcome.segments} segment(s) after the snapshot at ${outcome.snapshotSeq}`],
              ['blobs', `${outcome.blobs} (every hash checked)`],
              ['read', formatBytes(outcome.bytes)],
              ...(outcome.movedAside === null ? [] : [['old directory moved to', outcome.movedAside] as const]),
            ]),
          );
          writeLine(io.stdout, `Serve it with: holdfast serve --data ${outcome.dataDir}`);
        }
        return EXIT.ok;
      }
      case 'damaged':
        if (!json) for (const problem of outcome.problems) writeLine(io.stderr, `  ${problem}`);
        return failure(io, `the backup is damaged (above); nothing usable was restored into ${values.to}. Try another target, or an earlier point with --at`);
      case 'no-backup':
      case 'locked':
      case 'not-covered':
      case 'refused':
        return json ? EXIT.failed : failure(io, outcome.reason);
    }
  } finally {
    await target.close();
  }
}

function parsePoint(at: string | undefined, seq: string | undefined): RestorePoint | string {
  if (at !== undefined && seq !== undefined) return 'give --at or --seq, not both';
  if (seq !== undefined) {
    if (!/^\d+$/.test(seq)) return `--seq expects a change number (a whole number), got "${seq}"`;
    return { kind: 'seq', seq: Number(seq) };
  }
  if (at !== undefined) {
    const time = new Date(at);
    if (!/^\d{4}-\d{2}-\d{2}/.test(at) || Number.isNaN(time.getTime())) return `--at expects a time such as 2026-03-01T12:00:00Z, got "${at}"`;
    return { kind: 'time', at: time };
  }
  return { kind: 'latest' };
}
