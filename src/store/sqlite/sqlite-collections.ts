// One user's collections: nesting, properties, trash, move and copy. A collection's path is
// kept materialised ("photos/2024") and rewritten for the whole subtree in the same
// transaction as any move, so a URL always resolves with one lookup.
import { DEFAULT_COLLECTIONS } from '../default-collections.ts';
import { COLLECTION_KINDS } from '../types.ts';
import type {
  Collection,
  CollectionChangeResult,
  CollectionCopyResult,
  CollectionMoveResult,
  CollectionRestoreResult,
  CollectionProps,
  CollectionPropsPatch,
  CollectionPropsImportResult,
  CollectionTarget,
  CreateCollectionResult,
} from '../types.ts';
import { assertValidName } from '../names.ts';
import type { UserStore } from '../store.ts';
import type { SqliteContext } from './context.ts';
import { toCollection } from './rows.ts';
import type { CollectionRow } from './rows.ts';
import { charge, liveBytesIn, refuseOverQuota } from './usage.ts';
import { assertValidPath, createCollectionPath, joinPath } from './user-queries.ts';
import type { RevisionWithContent, UserQueries } from './user-queries.ts';

type CollectionMethods = Pick<
  UserStore,
  | 'listCollections'
  | 'getCollection'
  | 'createCollection'
  | 'updateCollection'
  | 'importCollectionProps'
  | 'deleteCollection'
  | 'restoreCollection'
  | 'moveCollection'
  | 'copyCollection'
>;

/** `path` itself and everything under it, as a WHERE fragment on (path, path || '/%'). */
const SUBTREE = "(path = ? OR substr(path, 1, length(?) + 1) = ? || '/')";

export function collectionMethods(ctx: SqliteContext, userId: number, q: UserQueries): CollectionMethods {
  const liveSubtree = (path: string): CollectionRow[] =>
    ctx
      .sql(`SELECT * FROM collections WHERE user_id = ? AND deleted_at IS NULL AND ${SUBTREE} ORDER BY length(path)`)
      .all(userId, path, path, path) as CollectionRow[];

  const liveBytesOfSubtree = (path: string): number => liveBytesIn(ctx, liveSubtree(path).map((row) => row.id));

  /** Trashes a live subtree; restoring `root` later brings back exactly these. Their items
   * stop counting towards the user's usage. */
  const trashSubtree = (root: Collection): Collection => {
    const rows = liveSubtree(root.path);
    charge(ctx, userId, -liveBytesIn(ctx, rows.map((row) => row.id)));
    const at = ctx.now();
    for (const row of rows) {
      ctx.sql('UPDATE collections SET deleted_at = ?, deleted_with = ? WHERE id = ?').run(at, root.id, row.id);
    }
    for (const row of rows.slice(1)) q.recordCollectionChange(row.id);
    return q.recordCollectionChange(root.id);
  };

  /** Gives `rows` (a subtree, root first) a new root path, and the root a new parent and name. */
  const rehome = (rows: readonly CollectionRow[], parentId: number | null, name: string, newRootPath: string): void => {
    const oldRootPath = rows[0]?.path ?? '';
    rows.forEach((row, index) => {
      const path = newRootPath + row.path.slice(oldRootPath.length);
      if (index === 0) ctx.sql('UPDATE collections SET parent_id = ?, name = ?, path = ? WHERE id = ?').run(parentId, name, path, row.id);
      else ctx.sql('UPDATE collections SET path = ? WHERE id = ?').run(path, row.id);
    });
  };

  /** Resolves a destination: its parent collection (null at the top) and its path. */
  const resolveTarget = (to: CollectionTarget): { parent: Collection | null; path: string } | null => {
    assertValidName('collection', to.name);
    if (to.parent === null) return { parent: null, path: to.name };
    const parent = q.liveCollection(to.parent);
    return parent ? { parent, path: joinPath(parent.path, to.name) } : null;
  };

  const isWithin = (path: string, ancestor: string) => path === ancestor || path.startsWith(`${ancestor}/`);

  /** Copies the live items of one collection into another, sharing their content. */
  const copyItems = (from: Collection, to: Collection, author: string): number => {
    const heads = ctx
      .sql(
        `SELECT r.id FROM items i JOIN revisions r ON r.id = i.head_revision_id
         WHERE i.collection_id = ? AND i.deleted = 0 ORDER BY i.name`,
      )
      .pluck()
      .all(from.id) as string[];
    for (const revisionId of heads) {
      const source = q.userRevision(revisionId) as RevisionWithContent;
      const copy = q.copyContent(to, { itemId: null, name: source.item_name, parentId: null }, source, { author }, null);
      q.carryProps(source.item_id, copy.itemId);
    }
    return heads.length;
  };

  return {
    async listCollections(options) {
      const deleted = options?.includeDeleted ? '' : 'AND deleted_at IS NULL';
      if (options?.parent === undefined) {
        const rows = ctx.sql(`SELECT * FROM collections WHERE user_id = ? ${deleted} ORDER BY path, id`).all(userId) as CollectionRow[];
        return rows.map(toCollection);
      }
      let parentId: number | null = null;
      if (options.parent !== null) {
        const parent = q.liveCollection(options.parent);
        if (!parent) return [];
        parentId = parent.id;
      }
      const rows = ctx
        .sql(`SELECT * FROM collections WHERE user_id = ? AND parent_id IS ? ${deleted} ORDER BY name, id`)
        .all(userId, parentId) as CollectionRow[];
      return rows.map(toCollection);
    },

    async getCollection(path) {
      return q.liveCollection(path);
    },

    createCollection(input) {
      assertValidName('collection', input.name);
      if (input.parent !== undefined) assertValidPath(input.parent);
      if (!COLLECTION_KINDS.includes(input.kind)) {
        throw new Error(`unknown collection kind ${JSON.stringify(input.kind)}; expected one of ${COLLECTION_KINDS.join(', ')}`);
      }
      return ctx.committer.run((): CreateCollectionResult => {
        const target = resolveTarget({ parent: input.parent ?? null, name: input.name });
        if (!target) return { kind: 'no-parent' };
        const existing = q.liveCollection(target.path);
        if (existing) return { kind: 'exists', collection: existing };
        return {
          kind: 'created',
          collection: q.insertCollection({ name: input.name, kind: input.kind, props: input.props ?? {}, parent: target.parent }),
        };
      });
    },

    updateCollection(path, props) {
      return ctx.committer.run((): CollectionChangeResult => {
        const collection = q.liveCollection(path);
        if (!collection) return { kind: 'not-found' };
        const merged = mergeProps(collection.props, props);
        ctx.sql('UPDATE collections SET props = ? WHERE id = ?').run(JSON.stringify(merged), collection.id);
        return { kind: 'changed', collection: q.recordCollectionChange(collection.id) };
      });
    },

    importCollectionProps(input) {
      assertValidPath(input.path);
      return ctx.committer.run((): CollectionPropsImportResult => {
        const existing = q.liveCollection(input.path);
        if (existing && existing.kind !== input.kind) return { kind: 'collection-kind-mismatch', collection: existing };
        const collection = existing ?? createCollectionPath(q, input.path, input.kind);
        const patch = input.onlyMissing ? missingOnly(collection, input.props) : input.props;
        const merged = mergeProps(collection.props, patch);
        // A collection just made is a change already; setting nothing on it needs no second one.
        if (sameProps(merged, collection.props)) return existing ? { kind: 'unchanged', collection } : { kind: 'changed', collection };
        ctx.sql('UPDATE collections SET props = ? WHERE id = ?').run(JSON.stringify(merged), collection.id);
        return { kind: 'changed', collection: q.recordCollectionChange(collection.id) };
      });
    },

    deleteCollection(path) {
      return ctx.committer.run((): CollectionChangeResult => {
        const collection = q.liveCollection(path);
        if (!collection) return { kind: 'not-found' };
        return { kind: 'changed', collection: trashSubtree(collection) };
      });
    },

    restoreCollection(collectionId, newName) {
      if (newName !== undefined) assertValidName('collection', newName);
      return ctx.committer.run((): CollectionRestoreResult => {
        const row = ctx
          .sql('SELECT * FROM collections WHERE id = ? AND user_id = ? AND deleted_at IS NOT NULL')
          .get(collectionId, userId) as CollectionRow | undefined;
        if (!row) return { kind: 'not-found' };
        let parentPath: string | null = null;
        if (row.parent_id !== null) {
          const parent = ctx
            .sql('SELECT * FROM collections WHERE id = ? AND deleted_at IS NULL')
            .get(row.parent_id) as CollectionRow | undefined;
          if (!parent) return { kind: 'no-parent' };
          parentPath = parent.path;
        }
        const name = newName ?? row.name;
        const path = joinPath(parentPath, name);
        const taken = q.liveCollection(path);
        if (taken) return { kind: 'name-taken', collection: taken };
        // Exactly what was deleted with it: the root, and descendants its deletion took.
        const subtree = ctx
          .sql(`SELECT * FROM collections WHERE user_id = ? AND deleted_with = ? AND ${SUBTREE} ORDER BY length(path)`)
          .all(userId, row.id, row.path, row.path, row.path) as CollectionRow[];
        const rows = subtree[0]?.id === row.id ? subtree : [row, ...subtree.filter((r) => r.id !== row.id)];
        // Their live items count again.
        const returning = liveBytesIn(ctx, rows.map((member) => member.id));
        const overQuota = refuseOverQuota(ctx, userId, returning);
        if (overQuota) return overQuota;
        charge(ctx, userId, returning);
        // New paths first, while the rows are still in the trash: the live-path index only
        // sees them once they are free of the name a new collection may have taken.
        rehome(rows, row.parent_id, name, path);
        for (const member of rows) {
          ctx.sql('UPDATE collections SET deleted_at = NULL, deleted_with = NULL WHERE id = ?').run(member.id);
        }
        for (const member of rows.slice(1)) q.recordCollectionChange(member.id);
        return { kind: 'changed', collection: q.recordCollectionChange(row.id) };
      });
    },

    moveCollection(path, to, options) {
      assertValidPath(path);
      return ctx.committer.run((): CollectionMoveResult => {
        const source = q.liveCollection(path);
        if (!source) return { kind: 'not-found' };
        const target = resolveTarget(to);
        if (!target) return { kind: 'no-parent' };
        // Into its own subtree, or onto an ancestor (overwriting which would trash the source).
        if (isWithin(target.path, source.path) || isWithin(source.path, target.path)) return { kind: 'into-itself' };
        const existing = q.liveCollection(target.path);
        if (existing) {
          if (!options.overwrite) return { kind: 'name-taken', collection: existing };
          trashSubtree(existing);
        }
        const rows = liveSubtree(source.path);
        rehome(rows, target.parent?.id ?? null, to.name, target.path);
        for (const row of rows.slice(1)) q.recordCollectionChange(row.id);
        return { kind: 'moved', collection: q.recordCollectionChange(source.id) };
      });
    },

    copyCollection(path, to, options) {
      assertValidPath(path);
      return ctx.committer.run((): CollectionCopyResult => {
        const source = q.liveCollection(path);
        if (!source) return { kind: 'not-found' };
        const target = resolveTarget(to);
        if (!target) return { kind: 'no-parent' };
        if (options.depth === 'infinity' && isWithin(target.path, source.path)) return { kind: 'into-itself' };
        if (isWithin(source.path, target.path)) return { kind: 'into-itself' }; // onto an ancestor
        const existing = q.liveCollection(target.path);
        if (existing && !options.overwrite) return { kind: 'name-taken', collection: existing };
        // Read the whole source subtree before writing: the copy must not include itself.
        // (The checks above keep the source and the destination's subtrees apart.)
        const sources = options.depth === 0 ? [] : liveSubtree(source.path).map(toCollection);
        const added = liveBytesIn(ctx, sources.map((c) => c.id));
        const overQuota = refuseOverQuota(ctx, userId, added - (existing ? liveBytesOfSubtree(existing.path) : 0));
        if (overQuota) return overQuota;
        if (existing) trashSubtree(existing);
        const root = q.insertCollection({ name: to.name, kind: source.kind, props: source.props, parent: target.parent });
        if (options.depth === 0) return { kind: 'copied', collection: root, items: 0 };
        const copies = new Map<number, Collection>([[source.id, root]]);
        let items = copyItems(source, root, options.author);
        for (const child of sources.slice(1)) {
          const parentCopy = child.parentId === null ? undefined : copies.get(child.parentId);
          if (!parentCopy) continue; // unreachable: rows come parents first
          const copy = q.insertCollection({ name: child.name, kind: child.kind, props: child.props, parent: parentCopy });
          copies.set(child.id, copy);
          items += copyItems(child, copy, options.author);
        }
        return { kind: 'copied', collection: copies.get(source.id) ?? root, items };
      });
    },
  };
}

/** A collection's properties after a patch: a value sets, null removes, undefined keeps. */
function mergeProps(current: CollectionProps, patch: CollectionPropsPatch): CollectionProps {
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || key === 'extra') continue;
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  if (patch.extra !== undefined) {
    const extra: Record<string, string> = { ...current.extra };
    for (const [key, value] of Object.entries(patch.extra)) {
      if (value === null) delete extra[key];
      else extra[key] = value;
    }
    if (Object.keys(extra).length > 0) merged.extra = extra;
    else delete merged.extra;
  }
  return merged;
}

/**
 * The part of a patch that sets properties the collection lacks; removals and values it has
 * are dropped. A value the server gave a new user's collection by default ("Calendar") counts
 * as lacking: nobody chose it, and after a server came back empty it stands where the name
 * a person gave the calendar ("Family") stood.
 */
function missingOnly(collection: Collection, patch: CollectionPropsPatch): CollectionPropsPatch {
  const current = collection.props as Record<string, unknown>;
  const byDefault = (DEFAULT_COLLECTIONS.find((d) => d.name === collection.path && d.kind === collection.kind)?.props ?? {}) as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if (key === 'extra' || value === null || value === undefined) continue;
    if (current[key] === undefined || current[key] === byDefault[key]) kept[key] = value;
  }
  const extra: Record<string, string> = {};
  for (const [key, value] of Object.entries(patch.extra ?? {})) {
    if (value !== null && collection.props.extra?.[key] === undefined) extra[key] = value;
  }
  if (Object.keys(extra).length > 0) kept.extra = extra;
  return kept;
}

function sameProps(a: CollectionProps, b: CollectionProps): boolean {
  const canonical = (props: CollectionProps) =>
    JSON.stringify(
      Object.entries({ ...props, extra: props.extra ? Object.fromEntries(Object.entries(props.extra).sort()) : undefined }).sort(([x], [y]) => (x < y ? -1 : 1)),
    );
  return canonical(a) === canonical(b);
}
