// The signed-in user's collections: list, and create (idempotently) with PUT.
import type { FastifyInstance } from 'fastify';
import type { CollectionProps } from '../../store/types.ts';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError } from '../../server/errors.ts';
import { parseBody, putCollectionBody } from './bodies.ts';
import { checkName } from './names.ts';
import { collectionJson } from './representations.ts';

export function registerCollectionRoutes(app: FastifyInstance): void {
  app.get('/collections', async (request) => {
    const { userStore } = signedIn(request);
    const collections = await userStore.listCollections();
    return { collections: collections.map(collectionJson) };
  });

  app.put<{ Params: { collection: string } }>('/collections/:collection', async (request, reply) => {
    const { userStore } = signedIn(request);
    const name = checkName('collection', request.params.collection);
    const { kind, ...given } = parseBody(putCollectionBody, request.body);
    const props: CollectionProps = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));

    const result = await userStore.createCollection({ name, kind, props });
    if (result.kind === 'created') {
      request.log.info({ collection: name, kind }, 'collection created');
      return reply.code(201).send({ collection: collectionJson(result.collection) });
    }
    if (result.kind === 'no-parent') throw new ApiError('not-found', `The collection "${name}" cannot be created here.`);
    if (result.collection.kind !== kind) {
      throw new ApiError('conflict', `A collection named "${name}" already exists and holds ${result.collection.kind}, not ${kind}. Choose another name.`);
    }
    // PUT sets what it names: properties given for an existing collection replace the
    // old values, so repeating the request is harmless and a change is never ignored.
    if (Object.keys(props).length === 0) return { collection: collectionJson(result.collection) };
    const updated = await userStore.updateCollection(name, props);
    switch (updated.kind) {
      case 'changed':
        return { collection: collectionJson(updated.collection) };
      case 'not-found':
        throw new ApiError('not-found', `The collection "${name}" was deleted while it was being updated.`);
      case 'name-taken':
        throw new ApiError('conflict', `The name "${name}" is taken.`);
    }
  });
}
