// LOCK and UNLOCK (RFC 4918 §9.10, §9.11): exclusive and shared write locks, Depth 0 or
// infinity, refreshed by a LOCK without a body that names the lock in its If header. A
// LOCK on an unmapped URL inside a collection creates an empty resource there (§7.3).
import type { FastifyReply, FastifyRequest } from 'fastify';
import { davError } from '../dav-errors.ts';
import { hrefs } from '../dav-paths.ts';
import { authorOf, davContext, lookup, requestPath, type DavContext, type Lookup } from '../dav-resources.ts';
import { needsContentCheck } from '../content-rules.ts';
import { readXmlBody } from '../request-body.ts';
import { headerValue } from '../request-headers.ts';
import { NS, childElement, type XmlElement } from '../xml/xml-element.ts';
import { dav, fromParsed, serializeXml, type XmlOut } from '../xml/write-xml.ts';
import type { ActiveLock, LockDepth, LockScope } from './lock-manager.ts';
import { activeLockXml } from './lock-xml.ts';
import { checkIfHeader, guardWrite, lockPathOf } from './write-guard.ts';

/** A lock asked for without a Timeout header lasts this long. */
export const DEFAULT_LOCK_SECONDS = 60 * 60;
/** No lock lasts longer than this without a refresh, whatever the client asks ("Infinite"
 * too): a client that vanished must not keep a file locked for ever. */
export const MAX_LOCK_SECONDS = 24 * 60 * 60;
/** The largest DAV:owner kept with a lock. */
export const MAX_OWNER_BYTES = 4096;

/** The lock's duration from the Timeout header (RFC 4918 §10.7): the first value understood, capped. */
export function timeoutSecondsOf(header: string | undefined): number {
  for (const part of (header ?? '').split(',')) {
    const value = part.trim();
    if (value.toLowerCase() === 'infinite') return MAX_LOCK_SECONDS;
    const seconds = /^second-(\d+)$/i.exec(value)?.[1];
    if (seconds !== undefined) return Math.max(1, Math.min(Number(seconds), MAX_LOCK_SECONDS));
  }
  return DEFAULT_LOCK_SECONDS;
}

function lockDepthOf(request: FastifyRequest): LockDepth {
  const header = headerValue(request, 'depth')?.trim().toLowerCase();
  // §9.10.3: a LOCK without Depth acts as Depth infinity.
  if (header === undefined || header === 'infinity') return 'infinity';
  if (header === '0') return 0;
  throw davError('bad-request', `A LOCK takes Depth: 0 or infinity, not "${header}".`);
}

interface LockInfo {
  scope: LockScope;
  owner: XmlOut | null;
}

export function parseLockInfo(root: XmlElement): LockInfo {
  if (root.ns !== NS.dav || root.name !== 'lockinfo') throw davError('bad-request', `A LOCK body must be a DAV: lockinfo element, not {${root.ns}}${root.name}.`);
  const scopeElement = childElement(root, NS.dav, 'lockscope');
  const exclusive = scopeElement && childElement(scopeElement, NS.dav, 'exclusive');
  const shared = scopeElement && childElement(scopeElement, NS.dav, 'shared');
  if (!scopeElement || (exclusive === undefined) === (shared === undefined)) {
    throw davError('bad-request', 'The lockinfo must hold a lockscope of either exclusive or shared.');
  }
  const type = childElement(root, NS.dav, 'locktype');
  if (!type || !childElement(type, NS.dav, 'write')) throw davError('bad-request', 'The lockinfo must hold a locktype of write, the only kind of lock there is.');
  const ownerElement = childElement(root, NS.dav, 'owner');
  const owner = ownerElement ? fromParsed(ownerElement) : null;
  if (owner && Buffer.byteLength(serializeXml(owner)) > MAX_OWNER_BYTES) {
    throw davError('bad-request', `The lock's owner is larger than ${MAX_OWNER_BYTES} bytes; send a shorter one (a name or an address).`);
  }
  return { scope: exclusive ? 'exclusive' : 'shared', owner };
}

function sendLocks(reply: FastifyReply, status: number, locks: ActiveLock[], now: number): FastifyReply {
  const body = serializeXml(dav('prop', [dav('lockdiscovery', locks.map((lock) => activeLockXml(lock, now)))]), { declaration: true });
  return reply.code(status).header('content-type', 'application/xml; charset=utf-8').send(body);
}

/** Where a new lock goes: its path and root href, and whether an empty resource must be made there. */
function lockTarget(context: DavContext, found: Lookup): { path: string; href: string; create: boolean } {
  const path = lockPathOf(context.user.name, found.href);
  switch (found.kind) {
    case 'item':
    case 'collection':
      if (path === null) break;
      return { path, href: found.href, create: false };
    case 'missing':
      if (!found.parentExists || found.parent === null || path === null) {
        throw davError('conflict', 'A LOCK on a new URL creates an empty file, which must go inside an existing collection; create the collection first with MKCOL.');
      }
      if (found.trailingSlash) throw davError('conflict', 'A LOCK on a new URL creates an empty file; a URL ending in "/" names a collection, so create it with MKCOL first.');
      if (needsContentCheck(found.parent)) {
        throw davError('conflict', 'An address book or calendar holds only vCards or calendar objects, so a LOCK cannot create an empty resource in it; PUT the content instead.');
      }
      return { path, href: hrefs.item(context.user.name, found.parent.path, found.name), create: true };
    default:
      break;
  }
  throw davError('forbidden', 'Only collections and the items in them can be locked, not your home, your principal or the DAV root.');
}

export async function lockResource(request: FastifyRequest, reply: FastifyReply, xmlLimit: number): Promise<FastifyReply> {
  const context = davContext(request);
  const { locks, user } = context;
  const body = await readXmlBody(request, xmlLimit);
  const timeoutSeconds = timeoutSecondsOf(headerValue(request, 'timeout'));
  const found = await lookup(context, requestPath(request));
  if (body === null) return refreshLocks(request, reply, context, found, timeoutSeconds);

  const info = parseLockInfo(body);
  const depth = lockDepthOf(request);
  const target = lockTarget(context, found);
  // A new resource joins its parent collection, which may be locked; an existing one is
  // only checked against the If header, and then against the locks it would share.
  if (target.create) await guardWrite(request, [{ path: target.href, effect: 'bind' }]);
  else await checkIfHeader(request, context);

  const result = locks.acquire(user.id, { path: target.path, href: target.href, scope: info.scope, depth, owner: info.owner, timeoutSeconds });
  if (result.kind === 'conflict') {
    throw davError('no-conflicting-lock', `${result.conflicting.href} is already locked (${result.conflicting.scope}); wait for it to be unlocked or to expire.`, {}, [
      dav('href', [result.conflicting.href]),
    ]);
  }
  if (result.kind === 'too-many') throw davError('forbidden', `You hold ${result.limit} locks, the most one user may hold; UNLOCK some, or wait for them to expire.`);
  const { lock } = result;
  if (target.create && found.kind === 'missing' && found.parent) {
    // The lock comes first, so no other writer slips in; if the empty resource cannot be
    // made, the lock goes again and nothing is left behind.
    let created = false;
    try {
      created = await createEmpty(request, context, found.parent.path, found.name);
    } finally {
      if (!created) locks.release(user.id, lock.token);
    }
    if (!created) throw davError('conflict', 'The collection was deleted meanwhile; nothing was locked.');
  }
  request.log.info({ href: lock.href, scope: lock.scope, depth: lock.depth, timeoutSeconds }, 'locked');
  reply.header('lock-token', `<${lock.token}>`);
  return sendLocks(reply, target.create ? 201 : 200, [lock], locks.now());
}

/** Makes the empty resource of a LOCK on an unmapped URL; false when its collection is gone. */
async function createEmpty(request: FastifyRequest, context: DavContext, collection: string, name: string): Promise<boolean> {
  const result = await context.userStore.putItem(collection, name, new Uint8Array(0), {
    contentType: 'application/octet-stream',
    author: authorOf(request),
    // Someone else's PUT that got there first is kept: the lock now covers it.
    precondition: { kind: 'must-not-exist' },
  });
  return result.kind !== 'no-collection';
}

async function refreshLocks(request: FastifyRequest, reply: FastifyReply, context: DavContext, found: Lookup, timeoutSeconds: number): Promise<FastifyReply> {
  const { locks, user } = context;
  if (headerValue(request, 'if') === undefined) {
    throw davError('bad-request', 'A LOCK without a body refreshes a lock and must name it in an If header, such as If: (<urn:uuid:…>); to take a new lock, send a lockinfo body.');
  }
  const submitted = await checkIfHeader(request, context);
  const path = lockPathOf(user.name, found.href);
  const covering = path === null ? [] : locks.covering(user.id, path).filter((lock) => submitted.has(lock.token));
  if (covering.length === 0) throw davError('precondition-failed', 'No lock token in the If header names a lock on this resource; it may have expired. Take a new lock.');
  const refreshed = covering.flatMap((lock) => locks.refresh(user.id, lock.token, timeoutSeconds) ?? []);
  request.log.info({ href: found.href, locks: refreshed.length, timeoutSeconds }, 'locks refreshed');
  return sendLocks(reply, 200, refreshed, locks.now());
}

export async function unlockResource(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const context = davContext(request);
  const { locks, user } = context;
  const header = headerValue(request, 'lock-token')?.trim();
  const token = header === undefined ? undefined : /^<([^<>\s]+)>$/.exec(header)?.[1];
  if (token === undefined) throw davError('bad-request', 'UNLOCK needs a Lock-Token header naming the lock, such as Lock-Token: <urn:uuid:…>, as LOCK returned it.');
  // Another user's URL is a 404, as for every method.
  await lookup(context, requestPath(request));
  const path = lockPathOf(user.name, requestPath(request));
  const lock = locks.byToken(user.id, token);
  // An unknown token, an expired one, another user's or a lock that does not cover this
  // URL: all are the same 409 (§9.11.1), so nothing about other users' locks shows.
  if (!lock || path === null || !locks.covering(user.id, path).some((each) => each.token === token)) {
    throw davError('lock-token-matches-request-uri', 'The Lock-Token names no lock on this resource; it may have expired or been released already.');
  }
  locks.release(user.id, token);
  request.log.info({ href: lock.href }, 'unlocked');
  return reply.code(204).send();
}
