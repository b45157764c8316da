// `holdfast history …`: every revision of one item, and writing an older one's content
// back as a new revision. A restore adds to the history; it never rewrites it.
import { parseArgs } from 'node:util';
import type { ItemAddress, Revision } from '../store/types.ts';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes, formatTable } from './layout.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE } from './open-data-store.ts';
import { reportOverQuota } from './over-quota.ts';
import {
  CLI_AUTHOR,
  formatItemAddress,
  parseItemAddress,
  reportKeyConflict,
  reportMissing,
  reportMissingCollection,
  withUserData,
} from './user-items.ts';
import type { UserData } from './user-items.ts';

const USAGE = `Usage:
  holdfast history USER ITEM [--json]
  holdfast history restore USER ITEM REVISION

Every version of an item is kept: each write and each delete is a revision. ITEM is
COLLECTION/NAME, as in contacts/anna.vcf or photos/2024/img.jpg.

  (list)     Every revision of ITEM, newest first: its id, when, by whom, size and
             content hash, and whether it deleted the item or brought back older
             content. A deleted item has a history too.
  restore    Write the content of revision REVISION as a new revision of ITEM, on top
             of the current one, which stays in the history. A deleted item comes back
             from the trash. REVISION is an id as 'holdfast history' shows it, or
             enough of its beginning to tell it from the item's other revisions.
             Prints the new revision's id on stdout.

Options:
  --json             (list) print a JSON array instead of a table
${STORE_OPTIONS_USAGE}  --help, -h         show this help
`;

export const historyCommand: Command = {
  name: 'history',
  summary: "an item's revisions, and bringing back an older one",
  usage: USAGE,
  run: (args, io) => {
    const [first, ...rest] = args;
    if (first === 'restore') return restore(rest, io);
    if (first === 'help') {
      io.stdout.write(USAGE);
      return Promise.resolve(EXIT.ok);
    }
    return list(args, io);
  },
};

async function list(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['USER', 'ITEM'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION, json: { type: 'boolean' } }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [userName = '', itemText = ''] = parsed.positionals;
  const address = parseItemAddress(itemText);
  if (address.kind === 'invalid') return usageError(io, address.message, USAGE);
  return withUserData(io, parsed.values, userName, async (data) => {
    const revisions = await data.user.history(address.address.collection, address.address.name);
    if (revisions === null) return reportMissing(io, data, address.address);
    if (parsed.values.json === true) {
      writeLine(io.stdout, JSON.stringify(revisions.map(revisionJson), null, 2));
      return EXIT.ok;
    }
    io.stdout.write(
      formatTable(
        ['REVISION', 'WHEN', 'AUTHOR', 'SIZE', 'HASH', 'NOTE'],
        revisions.map((revision, index) => [
          revision.id,
          revision.createdAt,
          revision.author,
          revision.deleted ? '-' : formatBytes(revision.size),
          revision.contentHash === null ? '-' : shortHash(revision.contentHash),
          notes(revision, index === 0).join(', '),
        ]),
      ),
    );
    writeLine(
      io.stderr,
      `'holdfast history restore ${userName} ${formatItemAddress(address.address)} REVISION' brings back the content of a revision.`,
    );
    return EXIT.ok;
  });
}

async function restore(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['USER', 'ITEM', 'REVISION'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [userName = '', itemText = '', revisionText = ''] = parsed.positionals;
  const address = parseItemAddress(itemText);
  if (address.kind === 'invalid') return usageError(io, address.message, USAGE);
  if (revisionText === '') return usageError(io, "REVISION is empty; 'holdfast history USER ITEM' lists the revision ids", USAGE);
  return withUserData(io, parsed.values, userName, (data) => restoreRevision(io, data, address.address, revisionText));
}

async function restoreRevision(io: CliIo, data: UserData, address: ItemAddress, revisionText: string): Promise<number> {
  const shown = formatItemAddress(address);
  const listHint = `'holdfast history ${data.userName} ${shown}' lists its revisions`;
  const revisions = await data.user.history(address.collection, address.name);
  if (revisions === null) return reportMissing(io, data, address);
  const [head] = revisions;
  if (head === undefined) return reportMissing(io, data, address);

  const exact = revisions.find((revision) => revision.id === revisionText);
  const matches = exact !== undefined ? [exact] : revisions.filter((revision) => revision.id.startsWith(revisionText));
  const [source] = matches;
  if (source === undefined) return failure(io, `"${shown}" of "${data.userName}" has no revision "${revisionText}"; ${listHint}`);
  if (matches.length > 1) {
    return failure(io, `"${revisionText}" is the start of ${matches.length} revisions of "${shown}"; give more of the id (${listHint})`);
  }
  if (source.deleted) return reportTombstone(io, source, listHint);
  if (!head.deleted && head.contentHash === source.contentHash) {
    writeLine(
      io.stderr,
      `"${shown}" already has the content of revision ${source.id} (its current revision is ${head.id}); nothing to restore.`,
    );
    return EXIT.ok;
  }

  // Against the head just listed: if a phone writes in between, its write is not buried.
  // Guarded by the head just read (a tombstone, if the item is deleted): a write that lands
  // in between is never overwritten unseen.
  const result = await data.user.restoreRevision(address.collection, address.name, source.id, {
    author: CLI_AUTHOR,
    precondition: { kind: 'match', revisionId: head.id },
  });
  switch (result.kind) {
    case 'restored': {
      const fromTrash = head.deleted ? '; it was in the trash and is back' : '';
      writeLine(
        io.stderr,
        `Restored the content of revision ${source.id} of "${shown}" (${formatBytes(result.revision.size)}) ` +
          `as its new revision ${result.revision.id}${fromTrash}.`,
      );
      writeLine(io.stdout, result.revision.id);
      return EXIT.ok;
    }
    case 'precondition-failed':
      return failure(
        io,
        `not restored: "${shown}" changed while this ran (its current revision is now ${result.current?.id ?? 'a deletion'}); ` +
          `${listHint}, then run this again`,
      );
    case 'is-tombstone':
      return reportTombstone(io, source, listHint);
    case 'no-collection':
      return reportMissingCollection(io, data, address.collection);
    case 'not-found':
      return reportMissing(io, data, address);
    case 'key-conflict':
      return reportKeyConflict(io, address, result.existingName);
    case 'over-quota':
      return reportOverQuota(io, data.userName, result);
    case 'not-deleted':
      // Not an outcome of restoring a revision; listed so the switch stays exhaustive.
      return failure(io, `"${shown}" could not be restored (${result.kind}); nothing was changed`);
  }
}

function reportTombstone(io: CliIo, revision: Revision, listHint: string): number {
  return failure(io, `revision ${revision.id} is a deletion and has no content to restore; pick one before it (${listHint})`);
}

/** The marks of a revision in the NOTE column. */
function notes(revision: Revision, isHead: boolean): string[] {
  return [
    ...(revision.deleted ? ['deleted'] : []),
    ...(revision.restoredFrom !== null ? [`restored from ${revision.restoredFrom}`] : []),
    ...(isHead && !revision.deleted ? ['current'] : []),
  ];
}

/** Enough of a SHA-256 to tell contents apart by eye; --json has the whole hash. */
function shortHash(hash: string): string {
  return hash.slice(0, 12);
}

// Fields picked one by one, so a field added to Revision later is not published without a decision.
function revisionJson(revision: Revision): {
  id: string;
  createdAt: string;
  author: string;
  deleted: boolean;
  size: number | null;
  contentHash: string | null;
  contentType: string | null;
  restoredFrom: string | null;
} {
  return {
    id: revision.id,
    createdAt: revision.createdAt,
    author: revision.author,
    deleted: revision.deleted,
    size: revision.deleted ? null : revision.size,
    contentHash: revision.contentHash,
    contentType: revision.contentType,
    restoredFrom: revision.restoredFrom,
  };
}
