// Sign-in for protected routes: HTTP Basic (user name and password or app password, which
// is what phones' CardDAV/CalDAV clients send) or a Bearer token (the JSON API).
//
// It runs as an onRequest hook, before the body is read: a caller who is not signed in
// cannot make the server read, buffer or store anything. On success the request carries
// `user` and `userStore`, the user's own view of the store; handlers reach data only
// through it, so they cannot name another user's collections.
//
// The credential is never logged: not on success, not on failure.
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Accounts, AuthResult } from '../accounts/accounts.ts';
import type { Store, UserStore } from '../store/store.ts';
import type { User } from '../store/types.ts';
import { ApiError } from './errors.ts';
import type { AuthFailureReason } from './metrics.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user on protected routes; null elsewhere. */
    user: User | null;
    /** The signed-in user's data; null elsewhere. */
    userStore: UserStore | null;
    /** How the user signed in; null elsewhere. */
    signedInVia: 'password' | 'app-password' | 'token' | null;
  }
}

export const CHALLENGE = 'Basic realm="Holdfast", charset="UTF-8"';

type Credentials = { scheme: 'basic'; userName: string; secret: string } | { scheme: 'bearer'; token: string };

/** Parses an Authorization header; a string says what is wrong with it. */
export function parseAuthorization(header: string): Credentials | string {
  const match = /^(\S+)\s+(\S+)\s*$/.exec(header);
  if (!match) return 'the Authorization header is not "<scheme> <credentials>"';
  const scheme = (match[1] ?? '').toLowerCase();
  const value = match[2] ?? '';
  if (scheme === 'bearer') return { scheme: 'bearer', token: value };
  if (scheme !== 'basic') return `the Authorization scheme "${match[1]}" is not supported; use Basic or Bearer`;
  if (!/^[A-Za-z0-9+/]+=*$/.test(value)) return 'the Basic credentials are not base64';
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  // RFC 7617: the user name cannot contain a colon; the password can.
  const colon = decoded.indexOf(':');
  if (colon < 1) return 'the Basic credentials are not "user:password"';
  return { scheme: 'basic', userName: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function unauthenticated(message: string): ApiError {
  return new ApiError('unauthenticated', message, { 'www-authenticate': CHALLENGE });
}

export function createAuthenticate(deps: {
  store: Store;
  accounts: Accounts;
  authFailure: (reason: AuthFailureReason) => void;
}): onRequestAsyncHookHandler {
  const refuse = (request: FastifyRequest, reason: AuthFailureReason, error: ApiError, who: string | null): ApiError => {
    deps.authFailure(reason);
    // Names the user tried (never the secret) and the address: what an operator needs
    // to tell a forgotten password on a phone from someone guessing.
    request.log.info({ userName: who, clientAddress: request.ip, reason }, `sign-in refused (${reason})`);
    return error;
  };

  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    if (header === undefined || header === '') {
      throw refuse(request, 'missing', unauthenticated('Sign in: send your user name and password (or an app password) with HTTP Basic, or an API token as "Authorization: Bearer <token>".'), null);
    }
    const credentials = parseAuthorization(header);
    if (typeof credentials === 'string') {
      throw refuse(request, 'malformed', unauthenticated(`Cannot read the credentials: ${credentials}.`), null);
    }

    const result: AuthResult =
      credentials.scheme === 'basic'
        ? await deps.accounts.authenticateBasic(credentials.userName, credentials.secret, request.ip)
        : await deps.accounts.authenticateBearer(credentials.token, request.ip);
    const who = credentials.scheme === 'basic' ? credentials.userName : null;

    switch (result.kind) {
      case 'ok':
        request.user = result.user;
        request.userStore = deps.store.forUser(result.user.id);
        request.signedInVia = result.via;
        request.log = request.log.child({ user: result.user.name });
        return;
      case 'invalid':
        throw refuse(
          request,
          'invalid',
          unauthenticated(
            credentials.scheme === 'basic'
              ? 'The user name or password is wrong. Phones and other apps should sign in with an app password.'
              : 'The token is wrong, expired or revoked; create a new one.',
          ),
          who,
        );
      case 'rate-limited':
        throw refuse(
          request,
          'rate-limited',
          new ApiError('rate-limited', `Too many failed sign-ins; try again in ${result.retryAfterSeconds} seconds.`, {
            'retry-after': String(result.retryAfterSeconds),
          }),
          who,
        );
    }
  };
}

/** The signed-in user and their data, for a handler on a protected route. */
export function signedIn(request: FastifyRequest): { user: User; userStore: UserStore; via: 'password' | 'app-password' | 'token' } {
  if (!request.user || !request.userStore || !request.signedInVia) {
    // Only reachable if a route was registered without the authenticate hook.
    throw new Error(`route ${request.routeOptions.url ?? request.url} is served without authentication`);
  }
  return { user: request.user, userStore: request.userStore, via: request.signedInVia };
}
