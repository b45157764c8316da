// `holdfast status`: who the store is (id, generation, sequence), what it holds, and how
// much room is left for it — the first things to look at after a restore or a full disk.
import { statfs } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { EXIT, HELP_OPTION, parseCommandArgs, writeLine } from './command.ts';
import type { Command } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes, formatFields } from './layout.ts';
import { readDrillRecord } from '../backup/drill.ts';
import type { DrillRecord } from '../backup/drill.ts';
import { readCheckpoint } from '../scrub/checkpoint.ts';
import type { ScrubCheckpoint } from '../scrub/checkpoint.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE, withStore } from './open-data-store.ts';

const USAGE = `Usage:
  holdfast status [--json]

What the store in the data directory is and holds: its store id, generation (bumped by
every restore) and sequence (the last change), counts of users, collections, items,
deleted items, revisions and blobs, their sizes, the free disk space there, the last
restore drill of the backup (passed or FAILED, recovery point and recovery time) and
the last scrub pass.

Options:
  --json             print one JSON object instead of aligned lines
${STORE_OPTIONS_USAGE}  --help, -h         show this help
`;

export const statusCommand: Command = {
  name: 'status',
  summary: "the store's identity, what it holds, and free disk space",
  usage: USAGE,
  run: runStatus,
};

async function runStatus(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, [], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION, json: { type: 'boolean' } }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  return withStore(io, parsed.values, async ({ store, dataDir }) => {
    const identity = await store.identity();
    const stats = await store.stats();
    const disk = await statfs(dataDir);
    // bavail, not bfree: the blocks reserved for root are not ours to fill.
    const diskFreeBytes = disk.bavail * disk.bsize;
    const diskTotalBytes = disk.blocks * disk.bsize;
    const drill = await readDrillRecord(dataDir);
    const scrub = await readCheckpoint(dataDir);

    if (parsed.values.json === true) {
      const status = { dataDir, engine: store.engine, ...identity, ...stats, diskFreeBytes, diskTotalBytes, drill, scrub: { last: scrub.last, current: scrub.current } };
      writeLine(io.stdout, JSON.stringify(status, null, 2));
      return EXIT.ok;
    }
    io.stdout.write(
      formatFields([
        ['data directory', dataDir],
        ['engine', store.engine],
        ['store id', identity.storeId],
        ['generation', String(identity.generation)],
        ['sequence', String(identity.sequence)],
        ['users', String(stats.users)],
        ['collections', String(stats.collections)],
        ['items', String(stats.items)],
        ['deleted items', String(stats.deletedItems)],
        ['revisions', String(stats.revisions)],
        ['inline content', formatBytes(stats.inlineBytes)],
        ['blobs', `${stats.blobs} (${formatBytes(stats.blobBytes)})`],
        ['disk free', `${formatBytes(diskFreeBytes)} of ${formatBytes(diskTotalBytes)}`],
        ...drillFields(drill),
        ['last scrub', describeScrub(scrub)],
      ]),
    );
    if (drill !== null && !drill.ok) writeLine(io.stderr, `holdfast: THE LAST RESTORE DRILL FAILED (${drill.finishedAt}); run 'holdfast backup verify' for the details`);
    return EXIT.ok;
  });
}

function drillFields(drill: DrillRecord | null): Array<[string, string]> {
  if (drill === null) return [['restore drill', 'none yet (the server runs one when backupTargets is set)']];
  return drill.targets.map((t) => [
    `restore drill ${t.target}`,
    `${t.ok ? 'passed' : `FAILED (${t.problems.length} problem(s))`} at ${drill.finishedAt}; recovery point ${t.recoveryPointSeconds === null ? 'unknown' : `${t.recoveryPointSeconds.toFixed(1)} s`}, recovery time ${t.recoveryTimeSeconds.toFixed(1)} s`,
  ]);
}

function describeScrub(scrub: ScrubCheckpoint): string {
  const last = scrub.last === null ? 'no pass finished yet' : `${scrub.last.finishedAt}: ${scrub.last.blobsChecked} blob(s), ${scrub.last.problems} problem(s), ${scrub.last.unrepaired} unrepaired`;
  return scrub.current === null ? last : `${last}; a pass is under way (${scrub.current.blobsChecked} blob(s) so far)`;
}
