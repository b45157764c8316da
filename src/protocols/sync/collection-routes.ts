// A device's changes to its collections' display properties (name, description, colour,
// order, and properties other protocols keep verbatim). They are not revisions: the last
// change of each property wins, property by property, so two devices that rename and recolour
// one calendar both keep their change. In a heal (`onlyMissing`) a device puts back only the
// properties the server lacks, so it never undoes a change the server has and it missed.
import type { FastifyInstance } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import { StoreInputError } from '../../store/names.ts';
import type { CollectionPropsPatch } from '../../store/types.ts';
import { parseBody } from '../rest/bodies.ts';
import { collectionsBody } from './sync-bodies.ts';
import { syncCollectionJson } from './sync-json.ts';

export function registerCollectionRoutes(app: FastifyInstance): void {
  app.post('/collections', async (request) => {
    const { userStore } = signedIn(request);
    const { collections } = parseBody(collectionsBody, request.body);
    const results = [];
    for (const pushed of collections) {
      const props = Object.fromEntries(Object.entries(pushed.props).filter(([, value]) => value !== undefined)) as CollectionPropsPatch;
      let result: Record<string, unknown>;
      try {
        const outcome = await userStore.importCollectionProps({ path: pushed.path, kind: pushed.kind, props, onlyMissing: pushed.onlyMissing ?? false });
        if (outcome.kind === 'collection-kind-mismatch') {
          result = {
            path: pushed.path,
            result: 'refused',
            reason: 'collection-kind-mismatch',
            message: `The collection "${outcome.collection.path}" holds ${outcome.collection.kind}, not ${pushed.kind}.`,
          };
        } else {
          result = { path: pushed.path, result: outcome.kind === 'changed' ? 'applied' : 'unchanged', collection: syncCollectionJson(outcome.collection) };
        }
      } catch (error) {
        if (!(error instanceof StoreInputError)) throw error;
        result = { path: pushed.path, result: 'refused', reason: 'bad-input', message: `${error.message}.` };
      }
      request.log.info({ collection: pushed.path, result: result.result, onlyMissing: pushed.onlyMissing ?? false }, 'sync collection properties');
      results.push(result);
    }
    return { results };
  });
}
