// What `holdfast trash` and `holdfast history` share: the ITEM argument
// (COLLECTION-PATH/ITEM-NAME), reaching one user's data, and the messages for an item or
// a collection that is not there, which point at where it may be (the trash).
import type { Accounts } from '../accounts/accounts.ts';
import { assertValidName, StoreInputError } from '../store/names.ts';
import type { Store, UserStore } from '../store/store.ts';
import type { Collection, ItemAddress } from '../store/types.ts';
import { failure } from './command.ts';
import type { CliIo } from './io.ts';
import { reportMissingUser } from './missing-user.ts';
import { withAccounts } from './open-data-store.ts';
import type { StoreFlags } from './open-data-store.ts';

/** The author of every revision the command line writes. */
export const CLI_AUTHOR = 'cli';

/** `contacts/anna.vcf`, `photos/2024/img.jpg`: the last "/" ends the collection's path. */
export function parseItemAddress(text: string): { kind: 'parsed'; address: ItemAddress } | { kind: 'invalid'; message: string } {
  const split = text.lastIndexOf('/');
  const invalid = (why: string) => ({
    kind: 'invalid' as const,
    message: `ITEM is COLLECTION/NAME, e.g. contacts/anna.vcf or photos/2024/img.jpg; "${text}" ${why}`,
  });
  if (split <= 0 || split === text.length - 1) return invalid('does not name both');
  const collection = text.slice(0, split);
  const name = text.slice(split + 1);
  const problem = [...collection.split('/').map((segment) => checkName('collection', segment)), checkName('item', name)].find(
    (message) => message !== null,
  );
  return problem === undefined ? { kind: 'parsed', address: { collection, name } } : invalid(`is not valid: ${problem}`);
}

export function formatItemAddress(address: ItemAddress): string {
  return `${address.collection}/${address.name}`;
}

/** Why the store would refuse this name, or null: the store's own rule, asked first so a
 * bad argument is a usage error and not an unexpected one. */
export function checkName(what: 'collection' | 'item', name: string): string | null {
  try {
    assertValidName(what, name);
    return null;
  } catch (error) {
    if (error instanceof StoreInputError) return error.message;
    throw error;
  }
}

export interface UserData {
  store: Store;
  accounts: Accounts;
  user: UserStore;
  userName: string;
}

/** Opens the store and reaches the data of the live user `userName`; a missing or deleted
 * user fails with the message every command gives. */
export function withUserData(io: CliIo, flags: StoreFlags, userName: string, use: (data: UserData) => Promise<number>): Promise<number> {
  return withAccounts(io, flags, async ({ store, accounts }) => {
    const found = await store.accounts.getUserByName(userName);
    if (found === null) return reportMissingUser(io, accounts, userName);
    return use({ store, accounts, user: store.forUser(found.id), userName });
  });
}

/**
 * Deleted collections that can be restored as they are — those not inside another deleted
 * one — most recently deleted first. What is inside comes back with them (or, if deleted
 * on its own before, is restorable once they are back).
 */
export async function restorableCollections(user: UserStore): Promise<Collection[]> {
  const all = await user.listCollections({ includeDeleted: true });
  return all
    .filter((collection) => collection.deletedAt !== null && outermostDeleted(all, collection) === collection)
    .sort((a, b) => (b.deletedAt ?? '').localeCompare(a.deletedAt ?? '') || b.id - a.id);
}

/** The deleted collection to restore first to bring `collection` back: itself, or the
 * outermost of its deleted ancestors. */
export function outermostDeleted(all: readonly Collection[], collection: Collection): Collection {
  let current = collection;
  for (;;) {
    const parent = all.find((candidate) => candidate.id === current.parentId);
    if (parent === undefined || parent.deletedAt === null) return current;
    current = parent;
  }
}

/** No live collection at `path`: in the trash (and how to bring it back), or never made. */
export async function reportMissingCollection(io: CliIo, data: UserData, path: string): Promise<number> {
  const all = await data.user.listCollections({ includeDeleted: true });
  const deleted = all
    .filter((collection) => collection.deletedAt !== null && collection.path === path)
    .sort((a, b) => (b.deletedAt ?? '').localeCompare(a.deletedAt ?? '') || b.id - a.id)[0];
  if (deleted !== undefined) {
    const restore = outermostDeleted(all, deleted);
    const within = restore === deleted ? '' : ` with "${restore.path}"`;
    return failure(
      io,
      `collection "${path}" of "${data.userName}" is deleted${within}; ` +
        `'holdfast trash restore ${data.userName} --collection ${restore.id}' brings it back with its items`,
    );
  }
  return failure(io, `"${data.userName}" has no collection "${path}"; 'holdfast trash list ${data.userName}' shows deleted collections`);
}

/** No item by that name in a collection that exists. */
function reportMissingItem(io: CliIo, data: UserData, address: ItemAddress): number {
  return failure(io, `no item "${address.name}" in "${address.collection}"; 'holdfast trash list ${data.userName}' shows deleted items`);
}

/** The item is gone or was never there: says which of collection and item is missing. */
export async function reportMissing(io: CliIo, data: UserData, address: ItemAddress): Promise<number> {
  if ((await data.user.getCollection(address.collection)) === null) return reportMissingCollection(io, data, address.collection);
  return reportMissingItem(io, data, address);
}

/** Another live item of the collection holds the same unique key (a vCard's or event's UID). */
export function reportKeyConflict(io: CliIo, address: ItemAddress, existingName: string): number {
  return failure(
    io,
    `not restored: "${existingName}" in "${address.collection}" has the same UID as "${address.name}", and a UID may be ` +
      `used once per collection; delete or change "${formatItemAddress({ collection: address.collection, name: existingName })}" ` +
      'first, then run this again',
  );
}
