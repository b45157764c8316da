// A device's changes to its collections: display properties (name, description, colour,
// order, and properties other protocols keep verbatim), and deleting one to the trash. They
// are not revisions: the last change of each property wins, property by property, so two
// devices that rename and recolour one calendar both keep their change. In a heal
// (`onlyMissing`) a device puts back only the properties the server lacks, so it never undoes
// a change the server has and it missed.
import type { FastifyInstance } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import { StoreInputError } from '../../store/names.ts';
import type { UserStore } from '../../store/store.ts';
import type { CollectionKind, CollectionPropsPatch } from '../../store/types.ts';
import { parseBody } from '../rest/bodies.ts';
import { collectionsBody } from './sync-bodies.ts';
import { syncCollectionJson } from './sync-json.ts';

const kindMismatch = (path: string, holds: CollectionKind, pushed: CollectionKind) => ({
  path,
  result: 'refused',
  reason: 'collection-kind-mismatch',
  message: `The collection "${path}" holds ${holds}, not ${pushed}.`,
});

async function setProps(
  userStore: UserStore,
  pushed: { path: string; kind: CollectionKind; onlyMissing?: boolean | undefined },
  props: CollectionPropsPatch,
): Promise<Record<string, unknown>> {
  const outcome = await userStore.importCollectionProps({ path: pushed.path, kind: pushed.kind, props, onlyMissing: pushed.onlyMissing ?? false });
  if (outcome.kind === 'collection-kind-mismatch') return kindMismatch(outcome.collection.path, outcome.collection.kind, pushed.kind);
  return { path: pushed.path, result: outcome.kind === 'changed' ? 'applied' : 'unchanged', collection: syncCollectionJson(outcome.collection) };
}

/** A collection deleted on a device goes to the trash, as a DAV DELETE sends it; nothing in it is removed. */
async function trash(userStore: UserStore, path: string, kind: CollectionKind): Promise<Record<string, unknown>> {
  const live = await userStore.getCollection(path);
  if (!live) return { path, result: 'unchanged', collection: null };
  if (live.kind !== kind) return kindMismatch(live.path, live.kind, kind);
  const outcome = await userStore.deleteCollection(path);
  if (outcome.kind !== 'changed') return { path, result: 'unchanged', collection: null };
  return { path, result: 'applied', collection: syncCollectionJson(outcome.collection) };
}

export function registerCollectionRoutes(app: FastifyInstance): void {
  app.post('/collections', async (request) => {
    const { userStore } = signedIn(request);
    const { collections } = parseBody(collectionsBody, request.body);
    const results = [];
    for (const pushed of collections) {
      const props = Object.fromEntries(Object.entries(pushed.props).filter(([, value]) => value !== undefined)) as CollectionPropsPatch;
      let result: Record<string, unknown>;
      try {
        result = pushed.deleted === true ? await trash(userStore, pushed.path, pushed.kind) : await setProps(userStore, pushed, props);
      } catch (error) {
        if (!(error instanceof StoreInputError)) throw error;
        result = { path: pushed.path, result: 'refused', reason: 'bad-input', message: `${error.message}.` };
      }
      request.log.info({ collection: pushed.path, result: result.result, onlyMissing: pushed.onlyMissing ?? false, deleted: pushed.deleted ?? false }, 'sync collection change');
      results.push(result);
    }
    return { results };
  });
}
