// Opens the store for a command other than `serve`: the same settings as the server
// (flags, then HOLDFAST_* variables, then the config file), and never a new store.
//
// Only `serve` may initialise a store. If `holdfast user add` created one in an empty
// directory — a typo in --data, a disk that is not mounted — the user would land in a
// store the server never reads, and an empty store would sit where data was expected.
import { createAccounts } from '../accounts/create-accounts.ts';
import type { Accounts } from '../accounts/accounts.ts';
import { loadConfig } from '../server/config.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { EXIT, failure, writeLine } from './command.ts';
import type { CliIo } from './io.ts';

/** The options of every command that opens the store, for `parseArgs`. */
export const STORE_OPTIONS = {
  data: { type: 'string' },
  config: { type: 'string' },
  'store-id': { type: 'string' },
} as const;

export const STORE_OPTIONS_USAGE = `  --data DIR         the data directory (or HOLDFAST_DATA_DIR, the config file; default ./data)
  --config FILE      a JSON file of settings, as for serve (or HOLDFAST_CONFIG)
  --store-id ID      refuse a data directory that holds another store (or HOLDFAST_STORE_ID)
`;

export interface StoreFlags {
  data?: string | undefined;
  config?: string | undefined;
  'store-id'?: string | undefined;
}

export interface OpenedStore {
  store: Store;
  dataDir: string;
}

/**
 * Opens the store, runs `use`, and closes the store whatever happens. Returns `use`'s exit
 * code; or 2 for settings that are not valid, 1 for a store that could not be opened,
 * after saying why.
 */
export async function withStore(io: CliIo, flags: StoreFlags, use: (opened: OpenedStore) => Promise<number>): Promise<number> {
  // Only these three: the other flags of a command (--json, --yes…) are not settings.
  const loaded = await loadConfig({
    flags: { data: flags.data, config: flags.config, 'store-id': flags['store-id'] },
    env: io.env,
  });
  if (loaded.kind === 'invalid') {
    // Exit 2, as for `serve`: the settings given were wrong, nothing was tried.
    writeLine(io.stderr, 'holdfast: the settings are not valid:');
    for (const error of loaded.errors) writeLine(io.stderr, `  ${error}`);
    return EXIT.usage;
  }
  const { dataDir, storeId, inlineLimitBytes, defaultQuotaBytes } = loaded.config;
  const opened = await openStore({
    dataDir,
    expectedStoreId: storeId,
    inlineLimitBytes,
    // Restores check it, and `user list` shows the quota that applies.
    defaultQuotaBytes,
    initializeIfEmpty: false,
    // A schema upgrade is the server's to make, with the server stopped or starting.
    migrateIfOlder: false,
  });
  if (opened.kind === 'refused') return failure(io, opened.reason);
  try {
    return await use({ store: opened.store, dataDir });
  } finally {
    await opened.store.close();
  }
}

/** `withStore` for the account commands, with the accounts service over the store. */
export function withAccounts(
  io: CliIo,
  flags: StoreFlags,
  use: (opened: OpenedStore & { accounts: Accounts }) => Promise<number>,
): Promise<number> {
  return withStore(io, flags, (opened) => use({ ...opened, accounts: createAccounts(opened.store.accounts) }));
}
