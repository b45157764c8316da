// Who am I, and API tokens for the signed-in user.
import type { FastifyInstance } from 'fastify';
import type { Accounts } from '../../accounts/accounts.ts';
import { signedIn } from '../../server/authenticate.ts';
import { ApiError } from '../../server/errors.ts';
import { createTokenBody, parseBody } from './bodies.ts';

export function registerAccountRoutes(app: FastifyInstance, accounts: Accounts): void {
  app.get('/whoami', async (request) => {
    const { user, via } = signedIn(request);
    return { user: { name: user.name, createdAt: user.createdAt }, signedInWith: via };
  });

  app.post('/tokens', async (request, reply) => {
    const { user, via } = signedIn(request);
    // A token must not mint tokens: a leaked short-lived token could otherwise make
    // itself a permanent one.
    if (via === 'token') {
      throw new ApiError('forbidden', 'Tokens cannot create tokens; sign in with your password or an app password to create one.');
    }
    const body = parseBody(createTokenBody, request.body);
    const result = await accounts.createToken(user.name, body.label, body.ttlSeconds === undefined ? {} : { ttlSeconds: body.ttlSeconds });
    if (result.kind === 'no-user') throw new ApiError('unauthenticated', 'Your account no longer exists.');
    request.log.info({ credentialId: result.credential.id, label: result.credential.label }, 'API token created');
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({
        token: result.secret,
        id: result.credential.id,
        label: result.credential.label,
        createdAt: result.credential.createdAt,
        expiresAt: result.credential.expiresAt,
        note: 'This is the only time the token is shown. Send it as "Authorization: Bearer <token>".',
      });
  });
}
