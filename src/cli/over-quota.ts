// What the CLI says when a restore would take a user over their quota: to the
// administrator, who can raise it.
import { readableBytes } from '../store/over-quota-message.ts';
import type { OverQuota } from '../store/types.ts';
import { failure } from './command.ts';
import type { CliIo } from './io.ts';

export function reportOverQuota(io: CliIo, userName: string, result: OverQuota): number {
  return failure(
    io,
    `not restored: it would take "${userName}" over their quota (they use ${readableBytes(result.usedBytes)} of ` +
      `${readableBytes(result.quotaBytes)}); nothing was changed. Raise the quota with 'holdfast user quota ${userName} SIZE', ` +
      'or make room by deleting some of their files first',
  );
}
