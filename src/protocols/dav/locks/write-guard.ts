// The write guard: every DAV write calls it before it changes anything. It evaluates the If
// header (RFC 4918 §10.4; a header that does not hold is 412) and refuses the write with
// 423 Locked, naming the locked root in DAV:lock-token-submitted, when it would change a
// locked resource without submitting that lock's token. What a write touches:
//
//   modify   the resource's content or properties (PROPPATCH): locks that cover it;
//   bind     a resource created or replaced at the URL (PUT, MKCOL, the Destination of COPY
//            and MOVE): also locks beneath it, and, when it is new, locks on its parent
//            collection, whose membership changes (§7.5);
//   unbind   a resource removed from the URL (DELETE, the source of MOVE): locks that cover
//            it, locks beneath it, and locks on its parent. Once the write succeeds, the
//            locks rooted at and beneath it go with it (see releaseRemovedLocks).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { etagOf } from '../../rest/conditional.ts';
import { davError } from '../dav-errors.ts';
import { parseDavPath } from '../dav-paths.ts';
import { davContext, lookup, requestPath, type DavContext } from '../dav-resources.ts';
import { headerValue } from '../request-headers.ts';
import { dav } from '../xml/write-xml.ts';
import { evaluateIf, parseIfHeader, submittedTokens, type IfList, type ResourceState } from './if-header.ts';
import type { ActiveLock } from './lock-manager.ts';

export type WriteEffect = 'modify' | 'bind' | 'unbind';

export interface WriteTarget {
  /** The URL path (or href) the write touches: the request's, or its Destination's. */
  path: string;
  effect: WriteEffect;
}

/** The lock path of a URL path in the user's own space ("a/b/c"), or null: nothing there can be locked. */
export function lockPathOf(userName: string, rawPath: string): string | null {
  let parsed;
  try {
    parsed = parseDavPath(rawPath);
  } catch {
    return null;
  }
  if (parsed.kind !== 'member' || parsed.userName !== userName) return null;
  return parsed.segments.join('/');
}

function parentOf(path: string): string | null {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? null : path.slice(0, slash);
}

/** The path of a resource tag: an absolute URL's path, or an absolute path; null otherwise. */
function tagPath(tag: string): string | null {
  if (tag.startsWith('/')) return tag;
  try {
    return new URL(tag).pathname;
  } catch {
    return null;
  }
}

async function stateOf(context: DavContext, rawPath: string | null, wantsEtag: boolean): Promise<ResourceState> {
  const path = rawPath === null ? null : lockPathOf(context.user.name, rawPath);
  let etag: string | null = null;
  if (wantsEtag && rawPath !== null) {
    try {
      const found = await lookup(context, rawPath);
      if (found.kind === 'item') etag = etagOf(found.item.head, found.collection.kind);
    } catch {
      // A tag naming something outside the user's space, or not a valid path, has no state.
    }
  }
  return {
    etag,
    hasLockToken: (token) => path !== null && context.locks.covering(context.user.id, path).some((lock) => lock.token === token),
  };
}

/**
 * Evaluates the request's If header: the lock tokens it submits, or a 412 when no list in
 * it holds (a 400 when it is malformed). No If header submits nothing.
 */
export async function checkIfHeader(request: FastifyRequest, context: DavContext = davContext(request)): Promise<Set<string>> {
  const header = headerValue(request, 'if');
  if (header === undefined) return new Set();
  const parsed = parseIfHeader(header);
  if (parsed.kind === 'invalid') throw davError('bad-request', parsed.message);
  const states = new Map<string | null, ResourceState>();
  const byResource = new Map<string | null, IfList[]>();
  for (const list of parsed.lists) byResource.set(list.resource, [...(byResource.get(list.resource) ?? []), list]);
  for (const [resource, lists] of byResource) {
    const rawPath = resource === null ? requestPath(request) : tagPath(resource);
    const wantsEtag = lists.some((list) => list.conditions.some((c) => c.kind === 'etag'));
    states.set(resource, await stateOf(context, rawPath, wantsEtag));
  }
  const holds = evaluateIf(parsed.lists, (resource) => states.get(resource) ?? { etag: null, hasLockToken: () => false });
  if (!holds) {
    throw davError('precondition-failed', 'No list in the If header matches the current state of its resource (a lock token or an ETag that is not current); nothing was changed.');
  }
  return submittedTokens(parsed.lists);
}

/** The locks a write to this target must hold the token of. */
async function locksOn(context: DavContext, target: WriteTarget, path: string): Promise<ActiveLock[]> {
  const { locks, user } = context;
  const found = locks.covering(user.id, path);
  if (target.effect === 'modify') return found;
  found.push(...locks.within(user.id, path));
  const parent = parentOf(path);
  const parentLocks = parent === null ? [] : locks.covering(user.id, parent).filter((lock) => lock.path === parent);
  if (parentLocks.length === 0) return found;
  // Replacing what is already there leaves the parent's membership as it was.
  if (target.effect === 'bind' && (await lookup(context, target.path)).kind !== 'missing') return found;
  return [...found, ...parentLocks];
}

const removedByRequest = new WeakMap<FastifyRequest, string[]>();

/** Refuses the write (400, 412 or 423) unless the If header holds and it submits the token
 * of every locked resource the write would change. Changes nothing. */
export async function guardWrite(request: FastifyRequest, targets: WriteTarget[]): Promise<void> {
  const context = davContext(request);
  const { locks, user } = context;
  const paths = targets.map((target) => lockPathOf(user.name, target.path));
  const removed = targets.flatMap((target, index) => (target.effect === 'unbind' && paths[index] ? [paths[index]] : []));
  if (removed.length > 0) removedByRequest.set(request, removed);
  // Address book and calendar clients lock nothing and send no If header: no lookups for them.
  if (headerValue(request, 'if') === undefined && locks.count(user.id) === 0) return;

  const submitted = await checkIfHeader(request, context);
  for (const [index, target] of targets.entries()) {
    const path = paths[index];
    if (path === null || path === undefined) continue;
    const roots = new Map<string, ActiveLock[]>();
    for (const lock of await locksOn(context, target, path)) roots.set(lock.path, [...(roots.get(lock.path) ?? []), lock]);
    // Of the shared locks on one root, the token of any one will do.
    for (const rootLocks of roots.values()) {
      if (rootLocks.some((lock) => submitted.has(lock.token))) continue;
      const href = rootLocks[0]?.href ?? target.path;
      throw davError('locked', `${href} is locked; send its lock token in an If header, or UNLOCK it first. Nothing was changed.`, {}, [dav('href', [href])]);
    }
  }
}

/** After a DELETE or MOVE succeeded, the locks of what it removed are gone too (an onSend hook). */
export function releaseRemovedLocks(request: FastifyRequest, reply: FastifyReply): void {
  const removed = removedByRequest.get(request);
  if (!removed || reply.statusCode >= 300) return;
  const context = davContext(request);
  for (const path of removed) {
    const released = context.locks.releaseWithin(context.user.id, path);
    if (released.length > 0) request.log.info({ path, locks: released.length }, 'locks released with the resource they locked');
  }
}
