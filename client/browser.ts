// The SDK's entry point for a browser bundle (scripts/build-browser-sdk.ts): the sync client,
// live sync and the IndexedDB replica. Nothing here or below it may use Node's APIs.
export { createSyncClient, SyncError } from './sync-client.ts';
export type { ConflictReport, RefusalReport, SyncAuth, SyncClient, SyncClientOptions, SyncEvent, SyncReport } from './sync-client.ts';
export { startLiveSync } from './live-sync.ts';
export type { LiveStatus, LiveSync, LiveSyncOptions } from './live-sync.ts';
export { openIndexedDbReplica } from './replica-idb.ts';
export type { ReplicaCursor, ReplicaItem, ReplicaRevision, ReplicaStore } from './replica.ts';
export { fromBase64, sha256Hex, toBase64 } from './portable.ts';
