// MOVE and COPY of one item, each one transaction: a move writes the destination's new
// revision and the source's tombstone together, so it can never lose or duplicate an item.
import type { ItemAddress, ItemTransferResult, TransferOptions } from '../types.ts';
import { assertValidName } from '../names.ts';
import type { SqliteContext } from './context.ts';
import { refuseOverQuota } from './usage.ts';
import { assertValidPath, checkPrecondition, liveSize } from './user-queries.ts';
import type { RevisionWithContent, UserQueries } from './user-queries.ts';

export function transferItem(
  ctx: SqliteContext,
  q: UserQueries,
  mode: 'move' | 'copy',
  from: ItemAddress,
  to: ItemAddress,
  options: TransferOptions,
): Promise<ItemTransferResult> {
  assertValidPath(from.collection);
  assertValidPath(to.collection);
  assertValidName('item', from.name);
  assertValidName('item', to.name);
  return ctx.committer.run((): ItemTransferResult => {
    const sourceCollection = q.liveCollection(from.collection);
    const targetCollection = q.liveCollection(to.collection);
    if (!sourceCollection || !targetCollection) return { kind: 'no-collection' };
    if (sourceCollection.id === targetCollection.id && from.name === to.name) return { kind: 'same-item' };
    const sourceHead = q.itemHead(sourceCollection.id, from.name);
    const failed = checkPrecondition(options.precondition, sourceHead);
    if (failed) return { kind: 'precondition-failed', current: failed.current };
    if (!sourceHead || sourceHead.deleted) return { kind: 'not-found' };
    const targetHead = q.itemHead(targetCollection.id, to.name);
    if (targetHead && !targetHead.deleted && !options.overwrite) return { kind: 'destination-exists', current: targetHead };
    const source = q.userRevision(sourceHead.id) as RevisionWithContent;
    // The moved item itself does not conflict with its own key.
    const sameCollection = sourceCollection.id === targetCollection.id;
    const holder = q.keyHolder(targetCollection.id, source.unique_key, mode === 'move' && sameCollection ? [to.name, from.name] : [to.name]);
    if (holder !== null) return { kind: 'key-conflict', existingName: holder };
    // A move within the user's space adds nothing (the source's bytes leave with its
    // tombstone); a copy adds the source's size less what it replaces.
    if (mode === 'copy') {
      const overQuota = refuseOverQuota(ctx, q.userId, source.size - liveSize(targetHead));
      if (overQuota) return overQuota;
    }

    const revision = q.copyContent(
      targetCollection,
      { itemId: targetHead?.itemId ?? null, name: to.name, parentId: targetHead?.id ?? null },
      source,
      { author: options.author },
      null,
    );
    q.carryProps(sourceHead.itemId, revision.itemId);
    const tombstone = mode === 'move' ? q.tombstone(sourceCollection, sourceHead, { author: options.author }) : null;
    return {
      kind: mode === 'move' ? 'moved' : 'copied',
      revision,
      created: targetHead === null || targetHead.deleted,
      tombstone,
    };
  });
}
