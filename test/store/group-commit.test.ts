// The group committer on a real SQLite file: concurrent writes share one transaction, a
// write that throws fails alone, and closing finishes what was accepted.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, it } from 'node:test';
import { GroupCommitter } from '../../src/store/sqlite/group-commit.ts';
import type { CommitBatch } from '../../src/store/types.ts';

describe('group commit', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'holdfast-group-commit-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function database(name: string): Database.Database {
    const db = new Database(join(dir, name));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)');
    return db;
  }

  const insert = (db: Database.Database, body: string) => () =>
    Number(db.prepare('INSERT INTO notes (body) VALUES (?)').run(body).lastInsertRowid);
  const bodies = (db: Database.Database) => db.prepare('SELECT body FROM notes ORDER BY id').pluck().all() as string[];

  it('commits writes that arrive together in one transaction', async () => {
    const db = database('together.sqlite');
    const batches: CommitBatch[] = [];
    const committer = new GroupCommitter(db, { observe: (batch) => batches.push(batch) });
    const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => committer.run(insert(db, `note ${i}`))));
    assert.equal(new Set(ids).size, 100);
    assert.deepEqual(batches.map((b) => b.writes), [100]);
    await committer.close();
    db.close();
  });

  it('fails a write that throws alone: the others in its batch commit, and nothing of it remains', async () => {
    const db = database('alone.sqlite');
    const batches: CommitBatch[] = [];
    const committer = new GroupCommitter(db, { observe: (batch) => batches.push(batch) });
    const results = await Promise.allSettled([
      committer.run(insert(db, 'first')),
      committer.run(() => {
        insert(db, 'half of a failing write')();
        insert(db, 'first')(); // UNIQUE violation after a change: the change must go too
      }),
      committer.run(insert(db, 'third')),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /UNIQUE constraint failed/);
    assert.deepEqual(bodies(db), ['first', 'third']);
    assert.deepEqual(batches, [{ writes: 3, failed: 1, durationMs: batches[0]?.durationMs }]);
    await committer.close();
    db.close();
  });

  it('with a batch size of one, gives every write its own transaction', async () => {
    const db = database('single.sqlite');
    const batches: CommitBatch[] = [];
    const committer = new GroupCommitter(db, { observe: (batch) => batches.push(batch), maxBatch: 1 });
    await Promise.all(Array.from({ length: 5 }, (_, i) => committer.run(insert(db, `n${i}`))));
    assert.deepEqual(batches.map((b) => b.writes), [1, 1, 1, 1, 1]);
    await committer.close();
    db.close();
  });

  it('on close, commits the writes already accepted and refuses new ones', async () => {
    const db = database('close.sqlite');
    const committer = new GroupCommitter(db);
    const accepted = Array.from({ length: 10 }, (_, i) => committer.run(insert(db, `accepted ${i}`)));
    const closing = committer.close();
    await assert.rejects(committer.run(insert(db, 'too late')), /closing or closed/);
    await Promise.all(accepted);
    await closing;
    assert.equal(bodies(db).length, 10);
    db.close();
  });

  it('fails every write of a batch whose transaction cannot commit, and keeps none of them', async () => {
    const db = database('broken.sqlite');
    const committer = new GroupCommitter(db);
    // Another connection holds the write lock past the busy timeout: BEGIN IMMEDIATE fails.
    const other = new Database(join(dir, 'broken.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    db.pragma('busy_timeout = 50');
    const results = await Promise.allSettled([committer.run(insert(db, 'a')), committer.run(insert(db, 'b'))]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    other.exec('ROLLBACK');
    other.close();
    assert.deepEqual(bodies(db), []);
    await committer.run(insert(db, 'after the lock is gone'));
    assert.deepEqual(bodies(db), ['after the lock is gone']);
    await committer.close();
    db.close();
  });
});
