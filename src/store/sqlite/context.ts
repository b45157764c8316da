// What the parts of the SQLite engine share: the connection with its statement cache, the
// group committer every write goes through, the blob engine, and the clock.
import type Database from 'better-sqlite3';
import type { BlobEngine } from '../blobs/blob-engine.ts';
import type { GroupCommitter } from './group-commit.ts';
import type { InFlightWrites } from './in-flight.ts';

export interface SqliteContext {
  db: Database.Database;
  /** A prepared statement for this SQL, compiled once per connection. */
  sql(text: string): Database.Statement;
  committer: GroupCommitter;
  /** Writes that stream content before they reach the committer. */
  inFlight: InFlightWrites;
  blobs: BlobEngine;
  inlineLimitBytes: number;
  /** The quota of a user who has none of their own; null: no limit. */
  defaultQuotaBytes: number | null;
  now(): string;
}

export function statementCache(db: Database.Database): (text: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (text) => {
    let statement = cache.get(text);
    if (!statement) {
      statement = db.prepare(text);
      cache.set(text, statement);
    }
    return statement;
  };
}
