// What a DAV path names, looked up in the signed-in user's store. Another user's home is
// answered exactly like a path that does not exist: whether a user exists must not leak.
import type { FastifyRequest } from 'fastify';
import { signedIn } from '../../server/authenticate.ts';
import type { UserStore } from '../../store/store.ts';
import type { Collection, Item, StoreIdentity, User } from '../../store/types.ts';
import { davError } from './dav-errors.ts';
import { encodeSegment, hrefs, parseDavPath, type DavPath } from './dav-paths.ts';
import type { LockManager } from './locks/lock-manager.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The store's identity reader, decorated on DAV requests only (./dav-plugin.ts). */
    davStoreIdentity: () => Promise<StoreIdentity>;
    /** The largest content a PUT may store (config maxBodyBytes), set by the DAV plugin. */
    davMaxResourceBytes: number;
    /** The server's lock table, set by the DAV plugin (./locks/). */
    davLocks: LockManager;
  }
}

export type DavResource =
  | { kind: 'root'; href: string }
  | { kind: 'principal'; href: string }
  | { kind: 'home'; href: string }
  | { kind: 'collection'; href: string; collection: Collection }
  | { kind: 'item'; href: string; collection: Collection; item: Item };

/** Where a new resource would go: its parent (null: the home) and its name. */
export interface MissingResource {
  kind: 'missing';
  href: string;
  /** The collection it would be created in; null when that is the user's home. */
  parent: Collection | null;
  /** False when the parent path itself does not exist (409 for PUT and MKCOL). */
  parentExists: boolean;
  name: string;
  /** The path the request named ended in "/": only a collection can be created there. */
  trailingSlash: boolean;
}

export type Lookup = DavResource | MissingResource;

export interface DavContext {
  user: User;
  userStore: UserStore;
  /** Who the store is (id, generation, sequence): store metadata for sync tokens, not user data. */
  identity: () => Promise<StoreIdentity>;
  /** The largest content a PUT may store: the collections' max-resource-size. */
  maxResourceBytes: number;
  /** The server's WebDAV locks; each user sees only their own. */
  locks: LockManager;
}

export function davContext(request: FastifyRequest): DavContext {
  const { user, userStore } = signedIn(request);
  return { user, userStore, identity: request.davStoreIdentity, maxResourceBytes: request.davMaxResourceBytes, locks: request.davLocks };
}

export function requestPath(request: FastifyRequest): string {
  return request.url.split('?')[0] ?? request.url;
}

function notFound(path: string): never {
  throw davError('not-found', `Nothing exists at ${path}.`);
}

/** The resource a path names, or where it would be created. */
export async function lookup(context: DavContext, rawPath: string): Promise<Lookup> {
  return lookupParsed(context, parseDavPath(rawPath), rawPath);
}

export async function lookupParsed(context: DavContext, path: DavPath, rawPath: string): Promise<Lookup> {
  const userName = context.user.name;
  switch (path.kind) {
    case 'root':
      // The bare server URL answers as itself, so the client's href matches what it asked.
      return { kind: 'root', href: rawPath === '/' ? '/' : hrefs.root() };
    case 'principal':
      if (path.userName !== userName) notFound(rawPath);
      return { kind: 'principal', href: hrefs.principal(userName) };
    case 'home':
      if (path.userName !== userName) notFound(rawPath);
      return { kind: 'home', href: hrefs.home(userName) };
    case 'member':
      if (path.userName !== userName) notFound(rawPath);
      return lookupMember(context, path.segments, path.trailingSlash);
  }
}

async function lookupMember(context: DavContext, segments: string[], trailingSlash: boolean): Promise<Lookup> {
  const { userStore, user } = context;
  const fullPath = segments.join('/');
  const collection = await userStore.getCollection(fullPath);
  if (collection) return { kind: 'collection', href: hrefs.collection(user.name, collection.path), collection };

  const name = segments[segments.length - 1] ?? '';
  const parentPath = segments.slice(0, -1).join('/');
  const parent = parentPath === '' ? null : await userStore.getCollection(parentPath);
  const missing = (parentExists: boolean): MissingResource => ({
    kind: 'missing',
    href: hrefs.home(user.name) + segments.map(encodeSegment).join('/') + (trailingSlash ? '/' : ''),
    parent,
    parentExists,
    name,
    trailingSlash,
  });
  if (parentPath !== '' && !parent) return missing(false);
  // A trailing slash does not make a different resource: MKCOL "res/" over an item "res"
  // must see the item (litmus mkcol_over_plain; neon adds the slash).
  if (parent) {
    const item = await userStore.getItem(parent.path, name);
    if (item && !item.deleted) return { kind: 'item', href: hrefs.item(user.name, parent.path, name), collection: parent, item };
  }
  return missing(true);
}

/** The resource, or a 404 naming the path. */
export async function existing(context: DavContext, rawPath: string): Promise<DavResource> {
  const found = await lookup(context, rawPath);
  if (found.kind === 'missing') notFound(rawPath);
  return found;
}

/** The author recorded on revisions a DAV client makes: "dav:" and its product name. */
export function authorOf(request: FastifyRequest): string {
  const agent = request.headers['user-agent'] ?? '';
  const product = /^[A-Za-z0-9._-]{1,40}/.exec(agent.trim())?.[0];
  return product ? `dav:${product}` : 'dav';
}
