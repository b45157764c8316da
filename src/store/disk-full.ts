// A write that found the disk full, wherever it met it: the blob engine's writes (ENOSPC,
// or EDQUOT for a file-system quota) or SQLite's (SQLITE_FULL). Looked for along the
// `cause` chain, because the store wraps an I/O error in one that says what it was doing.
export function isDiskFull(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL') return true;
  }
  return false;
}

export const DISK_FULL_MESSAGE =
  "The server's disk is full, so this write was not stored (nothing of it was kept). Reading still works. " +
  'The operator must free space on the data directory\'s disk (holdfast status shows how much is free); then send the write again.';
