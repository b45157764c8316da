// `holdfast device export`: the replica as plain files any program can read — contacts as
// .vcf, events and tasks as .ics, everything else as its original bytes — under a
// directory per collection. It reads only the replica, so it works with no network.
import { join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { liveItemNamesInSqliteReplica, openSqliteReplica, summarizeSqliteReplica } from '../../client/replica-sqlite.ts';
import type { ReplicaItem } from '../../client/replica.ts';
import { ensureDirectoryDurably, writeFileDurably } from '../store/durable-fs.ts';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, usageError, writeLine } from './command.ts';
import type { CliIo } from './io.ts';
import { loadDeviceState } from './device-state.ts';

export const DEVICE_EXPORT_USAGE = `  holdfast device export --state DIR --to OUTDIR [--json]
`;

export const DEVICE_EXPORT_HELP = `export     Write the replica in DIR as plain files under OUTDIR, one directory per
             collection: contacts as .vcf, events and tasks as .ics, notes, records,
             files and photos as their original bytes. Works offline. Each file is
             written whole (temp file, fsync, rename); files already in OUTDIR with
             other names are left alone. Names that could escape OUTDIR (.., /, NUL,
             control characters) are written %-escaped.
`;

const OPTIONS = { ...HELP_OPTION, state: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } } as const;

/** What the export counts: photos are the files whose content is an image or a video. */
export type ExportKind = 'contacts' | 'events' | 'tasks' | 'notes' | 'records' | 'files' | 'photos';

export async function deviceExport(args: string[], io: CliIo, usage: string): Promise<number> {
  const parsed = parseCommandArgs(io, usage, [], () => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true }));
  if (parsed.kind === 'exit') return parsed.code;
  const { state, to, json } = parsed.values;
  if (state === undefined || to === undefined) return usageError(io, `device export needs ${state === undefined ? '--state' : '--to'}`, usage);
  const loaded = await loadDeviceState(state);
  if (loaded.kind === 'invalid') return failure(io, loaded.message);
  if (loaded.kind === 'absent') return failure(io, `${loaded.dir} is not a device state directory (no device.json); 'holdfast device sync' makes one`);
  const outDir = resolve(to);
  await ensureDirectoryDurably(outDir);

  const summary = summarizeSqliteReplica(loaded.replicaFile);
  const replica = openSqliteReplica(loaded.replicaFile);
  const counts: Record<ExportKind, number> = { contacts: 0, events: 0, tasks: 0, notes: 0, records: 0, files: 0, photos: 0 };
  const failed: { item: string; message: string }[] = [];
  let bytes = 0;
  try {
    // A deleted collection is in the server's trash: restored there, it comes back here.
    for (const collection of summary.collections.filter((c) => !c.inTrash)) {
      const dir = join(outDir, ...collection.path.split('/').map(safeName));
      const taken = new Set<string>();
      // One item at a time: a photo library does not fit in memory at once.
      for (const name of liveItemNamesInSqliteReplica(loaded.replicaFile, collection.path)) {
        const item = await replica.getItem(collection.path, name);
        if (!item || item.deleted || item.content === null) continue;
        const target = join(dir, uniqueName(fileName(item), taken));
        try {
          if (!isInside(outDir, target)) throw new Error('its name would leave the export directory');
          await ensureDirectoryDurably(dir);
          await writeFileDurably(target, item.content ?? new Uint8Array());
          counts[exportKind(item)] += 1;
          bytes += item.content?.byteLength ?? 0;
        } catch (error) {
          failed.push({ item: `${item.collectionPath}/${item.name}`, message: error instanceof Error ? error.message : String(error) });
        }
      }
    }
  } finally {
    await replica.close();
  }

  const written = Object.values(counts).reduce((sum, count) => sum + count, 0);
  if (json === true) {
    writeLine(io.stdout, JSON.stringify({ to: outDir, files: written, bytes, counts, failed }, null, 2));
  } else {
    writeLine(io.stdout, `Exported ${written} files from ${loaded.dir} to ${outDir}:`);
    for (const [kind, count] of Object.entries(counts)) writeLine(io.stdout, `  ${kind.padEnd(9)} ${count}`);
  }
  if (failed.length > 0) {
    for (const missed of failed) writeLine(io.stderr, `holdfast: could not export ${missed.item}: ${missed.message}`);
    return failure(io, `${failed.length} items were not exported (see above); the rest were`);
  }
  return EXIT.ok;
}

function exportKind(item: ReplicaItem): ExportKind {
  switch (item.kind) {
    case 'contacts':
      return 'contacts';
    case 'calendar':
      return 'events';
    case 'tasks':
      return 'tasks';
    case 'notes':
      return 'notes';
    case 'records':
      return 'records';
    default:
      return /^(image|video)\//.test(item.contentType ?? '') ? 'photos' : 'files';
  }
}

const EXTENSION: Record<string, string> = { contacts: '.vcf', calendar: '.ics', tasks: '.ics' };

/** The item's name, made safe, with the extension a program opening it expects. */
function fileName(item: ReplicaItem): string {
  const extension = EXTENSION[item.kind];
  const name = safeName(item.name);
  return extension && !name.toLowerCase().endsWith(extension) ? `${name}${extension}` : name;
}

/**
 * One path segment that stays one segment: `%`, `/`, `\`, NUL and control characters are
 * %-escaped (so distinct names stay distinct), and `.` and `..` become `%2E` and `%2E%2E`.
 */
export function safeName(name: string): string {
  const escaped = name.replace(/[%/\\\u0000-\u001f\u007f]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  if (escaped === '') return '%';
  if (escaped === '.' || escaped === '..') return escaped.replace(/\./g, '%2E');
  return escaped;
}

/** Two items that map to one file name (`a` and `a.vcf` in an address book) both get written. */
function uniqueName(name: string, taken: Set<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n += 1) {
    const dot = name.lastIndexOf('.');
    candidate = dot > 0 ? `${name.slice(0, dot)}~${n}${name.slice(dot)}` : `${name}~${n}`;
  }
  taken.add(candidate);
  return candidate;
}

function isInside(dir: string, path: string): boolean {
  return resolve(path).startsWith(`${resolve(dir)}${sep}`);
}
