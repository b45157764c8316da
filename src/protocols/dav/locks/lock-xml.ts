// The XML of locks (RFC 4918 §14, §15.8, §15.10): an activelock as lockdiscovery shows
// it, and the kinds of lock supportedlock offers.
import { dav, type XmlOut } from '../xml/write-xml.ts';
import type { ActiveLock } from './lock-manager.ts';

export function activeLockXml(lock: ActiveLock, now: number): XmlOut {
  const remaining = Math.max(0, Math.ceil((lock.expiresAt - now) / 1000));
  return dav('activelock', [
    dav('locktype', [dav('write')]),
    dav('lockscope', [dav(lock.scope)]),
    dav('depth', [lock.depth === 0 ? '0' : 'infinity']),
    ...(lock.owner ? [lock.owner] : []),
    dav('timeout', [`Second-${remaining}`]),
    dav('locktoken', [dav('href', [lock.token])]),
    dav('lockroot', [dav('href', [lock.href])]),
  ]);
}

/** The value of DAV:lockdiscovery: every lock that covers the resource. */
export function lockDiscoveryValue(locks: ActiveLock[], now: number): XmlOut[] {
  return locks.map((lock) => activeLockXml(lock, now));
}

/** The value of DAV:supportedlock: exclusive and shared write locks. */
export function supportedLockValue(): XmlOut[] {
  return (['exclusive', 'shared'] as const).map((scope) => dav('lockentry', [dav('lockscope', [dav(scope)]), dav('locktype', [dav('write')])]));
}
