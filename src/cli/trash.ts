// `holdfast trash …`: a user's deleted items and collections, and bringing them back.
// Nothing is ever deleted for good here: a deleted item keeps its history, a deleted
// collection keeps its items, and either comes back as it was.
import { parseArgs } from 'node:util';
import type { Collection, Item, ItemAddress } from '../store/types.ts';
import { EXIT, failure, HELP_OPTION, parseCommandArgs, runSubcommand, usageError, writeLine } from './command.ts';
import type { Command } from './command.ts';
import type { CliIo } from './io.ts';
import { formatBytes, formatTable } from './layout.ts';
import { STORE_OPTIONS, STORE_OPTIONS_USAGE } from './open-data-store.ts';
import { reportOverQuota } from './over-quota.ts';
import {
  CLI_AUTHOR,
  checkName,
  outermostDeleted,
  formatItemAddress,
  parseItemAddress,
  restorableCollections,
  reportKeyConflict,
  reportMissing,
  reportMissingCollection,
  withUserData,
} from './user-items.ts';
import type { UserData } from './user-items.ts';

const USAGE = `Usage:
  holdfast trash list USER [--json]
  holdfast trash restore USER ITEM
  holdfast trash restore USER --collection ID [--as NAME]

Deleted items and collections stay in the trash, with their history, until they are
brought back.

  list       The user's deleted items (collection, name, when, by whom, and the size
             they had) and deleted collections (id, when, path), most recently deleted
             first. What is inside a deleted collection comes back with it, and is
             not listed on its own.
  restore    Bring back ITEM, written COLLECTION/NAME as in contacts/anna.vcf or
             photos/2024/img.jpg, with the content it had when it was deleted. Prints
             the new revision's id on stdout.
             With --collection ID, bring back the deleted collection with that id and
             everything deleted with it. Prints its path on stdout.

Options:
  --json             (list) print a JSON object instead of tables
  --collection ID    (restore) the id of a deleted collection, as 'trash list' shows it
  --as NAME          (restore --collection) bring it back under this name, when another
                     collection has taken its old one
${STORE_OPTIONS_USAGE}  --help, -h         show this help
`;

export const trashCommand: Command = {
  name: 'trash',
  summary: "list and restore a user's deleted items and collections",
  usage: USAGE,
  run: (args, io) => runSubcommand(io, 'trash', USAGE, { list, restore }, args),
};

interface DeletedItem {
  item: Item;
  /** The size of the content the item had before it was deleted, if known. */
  size: number | null;
}

async function list(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(io, USAGE, ['USER'], () =>
    parseArgs({ args, options: { ...STORE_OPTIONS, ...HELP_OPTION, json: { type: 'boolean' } }, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [userName = ''] = parsed.positionals;
  return withUserData(io, parsed.values, userName, async ({ user }) => {
    const items: DeletedItem[] = [];
    for (const item of await user.listTrash()) {
      // A tombstone has no content; its parent is the last revision that had some.
      const before = item.head.parentId === null ? null : await user.getRevision(item.head.parentId);
      items.push({ item, size: before?.size ?? null });
    }
    const collections = await restorableCollections(user);
    const paths = new Map((await user.listCollections({ includeDeleted: true })).map((collection) => [collection.id, collection.path]));

    if (parsed.values.json === true) {
      const json = {
        items: items.map((deleted) => deletedItemJson(deleted, paths)),
        collections: collections.map(deletedCollectionJson),
      };
      writeLine(io.stdout, JSON.stringify(json, null, 2));
      return EXIT.ok;
    }
    if (items.length === 0 && collections.length === 0) {
      writeLine(io.stderr, `The trash of "${userName}" is empty.`);
      return EXIT.ok;
    }
    printTrash(io, items, collections, paths);
    if (items.length > 0) writeLine(io.stderr, `'holdfast trash restore ${userName} COLLECTION/ITEM' brings back an item.`);
    if (collections.length > 0) {
      writeLine(io.stderr, `'holdfast trash restore ${userName} --collection ID' brings back a collection with what it held.`);
    }
    return EXIT.ok;
  });
}

function printTrash(io: CliIo, items: DeletedItem[], collections: Collection[], paths: Map<number, string>): void {
  if (items.length > 0) {
    writeLine(io.stdout, 'Deleted items:');
    io.stdout.write(
      formatTable(
        ['DELETED', 'COLLECTION', 'ITEM', 'BY', 'SIZE'],
        items.map(({ item, size }) => [
          item.head.createdAt,
          paths.get(item.collectionId) ?? '?',
          item.name,
          item.head.author,
          size === null ? '-' : formatBytes(size),
        ]),
      ),
    );
  }
  if (collections.length > 0) {
    if (items.length > 0) writeLine(io.stdout);
    writeLine(io.stdout, 'Deleted collections:');
    io.stdout.write(
      formatTable(
        ['ID', 'DELETED', 'COLLECTION', 'KIND'],
        collections.map((collection) => [String(collection.id), collection.deletedAt ?? '-', collection.path, collection.kind]),
      ),
    );
  }
}

const RESTORE_OPTIONS = { ...STORE_OPTIONS, ...HELP_OPTION, collection: { type: 'string' }, as: { type: 'string' } } as const;

async function restore(args: string[], io: CliIo): Promise<number> {
  // ITEM, or --collection ID: which positional arguments to expect depends on the option.
  const byCollection = args.some((arg) => arg === '--collection' || arg.startsWith('--collection='));
  const parsed = parseCommandArgs(io, USAGE, byCollection ? ['USER'] : ['USER', 'ITEM'], () =>
    parseArgs({ args, options: RESTORE_OPTIONS, strict: true, allowPositionals: true }),
  );
  if (parsed.kind === 'exit') return parsed.code;
  const [userName = '', itemText = ''] = parsed.positionals;
  const { collection: collectionId, as: newName } = parsed.values;

  if (collectionId !== undefined) {
    if (!/^[1-9][0-9]*$/.test(collectionId) || !Number.isSafeInteger(Number(collectionId))) {
      const message = `--collection takes the id of a deleted collection, a number as 'trash list' shows, not "${collectionId}"`;
      return usageError(io, message, USAGE);
    }
    if (newName !== undefined) {
      const problem = checkName('collection', newName);
      if (problem !== null) return usageError(io, `--as: ${problem}`, USAGE);
    }
    return withUserData(io, parsed.values, userName, (data) => restoreCollection(io, data, Number(collectionId), newName));
  }
  if (newName !== undefined) {
    return usageError(io, '--as renames a collection restored with --collection; an item comes back under its own name', USAGE);
  }
  const address = parseItemAddress(itemText);
  if (address.kind === 'invalid') return usageError(io, address.message, USAGE);
  return withUserData(io, parsed.values, userName, (data) => restoreItem(io, data, address.address));
}

async function restoreItem(io: CliIo, data: UserData, address: ItemAddress): Promise<number> {
  const shown = formatItemAddress(address);
  const result = await data.user.undelete(address.collection, address.name, { author: CLI_AUTHOR });
  switch (result.kind) {
    case 'restored':
      writeLine(
        io.stderr,
        `Restored "${shown}" of "${data.userName}" with the content it had before it was deleted ` +
          `(${formatBytes(result.revision.size)}, from revision ${result.revision.restoredFrom ?? '?'}).`,
      );
      writeLine(io.stdout, result.revision.id);
      return EXIT.ok;
    case 'not-deleted':
      // As for `user restore`: nothing to do is not a failure.
      writeLine(
        io.stderr,
        `"${shown}" of "${data.userName}" is not deleted; nothing to restore. ` +
          `'holdfast history ${data.userName} ${shown}' shows its earlier versions.`,
      );
      return EXIT.ok;
    case 'no-collection':
      return reportMissingCollection(io, data, address.collection);
    case 'not-found':
      return reportMissing(io, data, address);
    case 'key-conflict':
      return reportKeyConflict(io, address, result.existingName);
    case 'over-quota':
      return reportOverQuota(io, data.userName, result);
    case 'is-tombstone':
    case 'precondition-failed':
      // Not outcomes of an undelete without a precondition; listed so the switch stays exhaustive.
      return failure(io, `"${shown}" could not be restored (${result.kind}); nothing was changed`);
  }
}

async function restoreCollection(io: CliIo, data: UserData, id: number, newName: string | undefined): Promise<number> {
  const { user, userName } = data;
  const all = await user.listCollections({ includeDeleted: true });
  const target = all.find((collection) => collection.id === id);
  if (target !== undefined && target.deletedAt === null) {
    writeLine(io.stderr, `Collection ${id} of "${userName}" ("${target.path}") is not deleted; nothing to restore.`);
    return EXIT.ok;
  }
  const result = await user.restoreCollection(id, newName);
  switch (result.kind) {
    case 'changed': {
      const renamed = newName === undefined ? '' : ` as "${result.collection.path}"`;
      writeLine(
        io.stderr,
        `Restored collection "${target?.path ?? result.collection.path}" of "${userName}"${renamed}, ` +
          'with everything that was deleted with it.',
      );
      writeLine(io.stdout, result.collection.path);
      return EXIT.ok;
    }
    case 'over-quota':
      return reportOverQuota(io, userName, result);
    case 'not-found':
      return failure(io, `"${userName}" has no deleted collection with id ${id}; 'holdfast trash list ${userName}' shows them`);
    case 'name-taken':
      return failure(
        io,
        `not restored: a collection "${result.collection.path}" exists; ` +
          `'holdfast trash restore ${userName} --collection ${id} --as NAME' restores it under another name`,
      );
    case 'no-parent': {
      // A collection inside a deleted one: that one first, which may bring this back too.
      const outermost = target === undefined ? undefined : outermostDeleted(all, target);
      if (outermost === undefined || outermost === target) {
        return failure(
          io,
          `not restored: the collection that held collection ${id} is gone; 'holdfast trash list ${userName}' shows what can be restored`,
        );
      }
      return failure(
        io,
        `not restored: "${target?.path ?? id}" is inside "${outermost.path}", which is deleted too; ` +
          `'holdfast trash restore ${userName} --collection ${outermost.id}' brings that back first`,
      );
    }
  }
}

// Fields picked one by one, so a field added to Item later is not published without a decision.
function deletedItemJson(
  { item, size }: DeletedItem,
  paths: Map<number, string>,
): { collection: string; name: string; deletedAt: string; deletedBy: string; size: number | null; revisionId: string } {
  return {
    collection: paths.get(item.collectionId) ?? '',
    name: item.name,
    deletedAt: item.head.createdAt,
    deletedBy: item.head.author,
    size,
    revisionId: item.head.id,
  };
}

function deletedCollectionJson(collection: Collection): { id: number; path: string; kind: string; deletedAt: string | null } {
  return { id: collection.id, path: collection.path, kind: collection.kind, deletedAt: collection.deletedAt };
}
