// Retention on real targets (a directory, and S3 through s3rver: no real S3 server can be
// installed on this machine, see s3-server.ts): after a prune, every promised point
// restores to exactly the store's state at it, verify passes, what the policy does not
// keep is gone, a dry run deletes nothing, and a crash at any step of a prune leaves every
// promised point restorable.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDirectoryTarget } from '../../src/backup/directory-target.ts';
import { blobKey } from '../../src/backup/format.ts';
import type { RestorePoint } from '../../src/backup/choose-point.ts';
import { restoreToPointInTime } from '../../src/backup/restore.ts';
import type { RetentionPolicy } from '../../src/backup/retention.ts';
import type { PruneReport } from '../../src/backup/retention-prune.ts';
import { pruneBackup } from '../../src/backup/retention-prune.ts';
import { openS3Target } from '../../src/backup/s3-target.ts';
import type { BackupTarget } from '../../src/backup/target.ts';
import { verifyBackup } from '../../src/backup/verify.ts';
import { openRestored } from './backup-fixture.ts';
import { holdfast } from '../cli/holdfast-process.ts';
import { buildHistory, contentsOf, copyTarget, crashingAfter, dayAt } from './retention-history.ts';
import type { History } from './retention-history.ts';
import { S3_BUCKET, S3_CREDENTIALS, startS3 } from './s3-server.ts';
import type { RunningS3 } from './s3-server.ts';

const POLICY: RetentionPolicy = { keepAllDays: 7, keepDailyDays: 20, keepMonthlyMonths: 3 };

let s3: RunningS3;
let scratch: string;
before(async () => {
  s3 = await startS3();
  scratch = await mkdtemp(join(tmpdir(), 'holdfast-retention-targets-'));
});
after(async () => {
  await s3.close();
  await rm(scratch, { recursive: true, force: true });
});

let targets = 0;
async function newTarget(kind: 'directory' | 's3'): Promise<BackupTarget> {
  targets += 1;
  if (kind === 's3') return openS3Target({ bucket: S3_BUCKET, prefix: `retention-${process.pid}-${targets}`, endpoint: s3.endpoint, credentials: S3_CREDENTIALS });
  const dir = join(scratch, `target-${targets}`);
  await mkdir(dir, { recursive: true });
  return openDirectoryTarget(dir);
}

async function keys(target: BackupTarget): Promise<string[]> {
  return (await target.list('')).map((o) => o.key);
}

async function prune(target: BackupTarget, now: Date, dryRun = false): Promise<PruneReport> {
  const outcome = await pruneBackup(target, { policy: POLICY, now, dryRun });
  assert.equal(outcome.kind, 'pruned', JSON.stringify(outcome));
  if (outcome.kind !== 'pruned') throw new Error('not pruned');
  return outcome.report;
}

let restores = 0;
/** Restores a point and returns what the store holds there, or the outcome if it failed. */
async function restoreContents(target: BackupTarget, history: History, point: RestorePoint): Promise<{ generation: number; seq: number; contents: Map<string, string> } | string> {
  restores += 1;
  const to = join(scratch, `restored-${restores}`);
  try {
    const outcome = await restoreToPointInTime({ target, to, point });
    if (outcome.kind !== 'restored') return `${outcome.kind}: ${'reason' in outcome ? outcome.reason : outcome.problems.join('; ')}`;
    assert.deepEqual(outcome.integrity.problems, []);
    const store = await openRestored(to);
    try {
      return { generation: outcome.fromGeneration, seq: outcome.seq, contents: await contentsOf(store, history.userId) };
    } finally {
      await store.close();
    }
  } finally {
    await rm(to, { recursive: true, force: true });
  }
}

async function assertRestoresExactly(target: BackupTarget, history: History, generation: number, seq: number): Promise<void> {
  const expected = history.states.get(`${generation}:${seq}`);
  assert.ok(expected, `the history recorded no state at ${generation}:${seq}`);
  const restored = await restoreContents(target, history, { kind: 'seq', seq });
  if (typeof restored === 'string') assert.fail(`generation ${generation} sequence ${seq}: ${restored}`);
  assert.equal(restored.generation, generation);
  assert.equal(restored.seq, seq);
  assert.deepEqual(restored.contents, expected, `generation ${generation} sequence ${seq}`);
}

/** Every point the report promises: each span's every sequence number (or, with `ends`, its
 * first and last), and each kept snapshot's. */
async function assertPromisesKept(target: BackupTarget, history: History, report: PruneReport, ends = false): Promise<number> {
  let checked = 0;
  for (const span of report.promised.spans) {
    if (!span.bySeq) {
      // Reached by time only: the anchor's moment restores the anchor's state.
      const restored = await restoreContents(target, history, { kind: 'time', at: new Date(span.fromTime) });
      if (typeof restored === 'string') assert.fail(`generation ${span.generation} at ${span.fromTime}: ${restored}`);
      assert.equal(restored.generation, span.generation);
      assert.deepEqual(restored.contents, history.states.get(`${span.generation}:${span.fromSeq}`));
      checked += 1;
      continue;
    }
    const seqs = ends ? [span.fromSeq, span.toSeq] : Array.from({ length: span.toSeq - span.fromSeq + 1 }, (_, i) => span.fromSeq + i);
    for (const seq of seqs) {
      await assertRestoresExactly(target, history, span.generation, seq);
      checked += 1;
    }
  }
  for (const snapshot of report.promised.snapshots) {
    await assertRestoresExactly(target, history, snapshot.generation, snapshot.seq);
    checked += 1;
  }
  return checked;
}

for (const kind of ['directory', 's3'] as const) {
  describe(`retention on a ${kind} target`, () => {
    let history: History;
    let pristine: BackupTarget;
    before(async () => {
      pristine = await newTarget(kind);
      history = await buildHistory(pristine);
    });
    after(async () => {
      await pristine.close();
      await history.cleanup();
    });
    const copy = async () => {
      const target = await newTarget(kind);
      await copyTarget(pristine, target);
      return target;
    };

    test('a dry run says what would go and deletes nothing', async () => {
      const target = await copy();
      try {
        const before = await keys(target);
        const report = await prune(target, history.now, true);
        assert.equal(report.dryRun, true);
        assert.ok(report.removed.snapshots.length > 0 && report.removed.segments.length > 0 && report.removed.blobs.length > 0, JSON.stringify(report.removed));
        assert.deepEqual(await keys(target), before);
      } finally {
        await target.close();
      }
    });

    test('after a prune every promised point restores exactly, verify passes, and what the policy does not keep is gone', async () => {
      const target = await copy();
      try {
        const report = await prune(target, history.now);
        // The window: every point of the last 7 days, in generation 2.
        assert.equal(report.promised.spans.length, 1);
        const span = report.promised.spans[0];
        assert.ok(span && span.generation === 2 && span.fromTime <= dayAt(93).toISOString() && span.toSeq === history.lastOfDay.get(99));
        // Daily snapshots from day 81 on, and the newest of February and of March.
        const days = report.promised.snapshots.map((s) => s.takenAt.slice(0, 10));
        assert.ok(days.includes('2026-02-28') || days.includes('2026-02-27'), days.join());
        assert.ok(days.some((d) => d.startsWith('2026-03-3')), days.join());
        assert.ok(days.every((d) => d >= '2026-02'), days.join());
        assert.ok(report.promised.snapshots.filter((s) => s.reasons.includes('daily')).every((s) => s.takenAt >= dayAt(81).toISOString().slice(0, 10)));

        const checked = await assertPromisesKept(target, history, report);
        assert.ok(checked > 20, `${checked} points checked`);
        // A time in the window, between the two writes of day 95, gives the first of them.
        const between = await restoreContents(target, history, { kind: 'time', at: dayAt(95, 5) });
        if (typeof between === 'string') assert.fail(between);
        assert.deepEqual(between.contents, history.states.get(`2:${(history.lastOfDay.get(95) ?? 0) - 1}`));

        const verified = await verifyBackup(target);
        assert.deepEqual(verified.problems, []);
        assert.equal(verified.ok, true);

        // Generation 1 is outside the policy: all of it is gone, with the blob only it held.
        assert.deepEqual((await target.list('g1/')).map((o) => o.key), []);
        const late = blobKey(createHash('sha256').update(Buffer.from(history.lateBlob, 'base64')).digest('hex'));
        assert.ok(report.removed.blobs.includes(late));
        assert.equal(await target.head(late), null);
        // A point of generation 2 between kept snapshots is refused, not restored as another.
        const keptSeqs = new Set(report.promised.snapshots.map((s) => s.seq));
        const gone = [...Array(20).keys()].map((i) => (history.lastOfDay.get(70) ?? 0) + i).find((seq) => !keptSeqs.has(seq));
        assert.ok(gone !== undefined);
        const refused = await restoreContents(target, history, { kind: 'seq', seq: gone });
        assert.equal(typeof refused, 'string');
        assert.match(typeof refused === 'string' ? refused : '', /not-covered: .*pruned by retention/);
        // So is a moment between kept snapshots.
        const refusedTime = await restoreContents(target, history, { kind: 'time', at: dayAt(68, 5) });
        assert.match(typeof refusedTime === 'string' ? refusedTime : 'restored', /not-covered: .*pruned by retention/);
        // The oldest restorable point after the prune is the oldest promised snapshot.
        assert.equal(report.restorable[0]?.fromTime, report.promised.snapshots[0]?.takenAt);

        // A second prune at the same moment finds nothing more to remove.
        const again = await prune(target, history.now);
        assert.deepEqual(again.removed, { snapshots: [], segments: [], leftovers: [], blobs: [], bytes: 0 });
      } finally {
        await target.close();
      }
    });

    if (kind === 'directory') {
      test('an older generation that keeps a point keeps its end, the newer one its start, and a pruned moment between is refused', async () => {
        const target = await copy();
        try {
          const outcome = await pruneBackup(target, { policy: { ...POLICY, keepMonthlyMonths: 4 }, now: history.now });
          assert.equal(outcome.kind, 'pruned');
          if (outcome.kind !== 'pruned') return;
          const report = outcome.report;
          assert.ok(report.promised.snapshots.some((s) => s.generation === 1 && s.reasons.includes('monthly')));
          assert.ok(report.promised.spans.some((s) => s.generation === 1));
          assert.ok(report.promised.snapshots.some((s) => s.generation === 2 && s.reasons.includes('generation start')));
          await assertPromisesKept(target, history, report, true);
          assert.equal((await verifyBackup(target)).ok, true);
          // Generation 1's last moments (the blob written late on day 40) restore exactly.
          const end = await restoreContents(target, history, { kind: 'time', at: dayAt(40, 40) });
          if (typeof end === 'string') assert.fail(end);
          assert.equal(end.generation, 1);
          assert.deepEqual(end.contents, history.states.get(`1:${end.seq}`));
          assert.ok(end.contents.has('files/late.bin'));
          // Pruned moments of either generation are refused, not answered from the other.
          for (const at of [dayAt(35), dayAt(45)]) {
            const refused = await restoreContents(target, history, { kind: 'time', at });
            assert.match(typeof refused === 'string' ? refused : 'restored', /not-covered/, at.toISOString());
          }
        } finally {
          await target.close();
        }
      });

      test('holdfast backup prune --dry-run deletes nothing; prune removes; list shows the oldest and newest restorable points', async () => {
        const target = await copy();
        try {
          const before = await keys(target);
          const dry = await holdfast(['backup', 'prune', '--target', target.description, '--dry-run', '--json']);
          assert.equal(dry.code, 0, dry.stderr);
          const [report] = JSON.parse(dry.stdout) as PruneReport[];
          assert.ok(report && report.dryRun && report.removed.segments.length > 0);
          assert.deepEqual(await keys(target), before);

          const done = await holdfast(['backup', 'prune', '--target', target.description]);
          assert.equal(done.code, 0, done.stderr);
          assert.match(done.stdout, /: removed \d+ snapshot\(s\), \d+ segment\(s\), \d+ blob\(s\)/);
          assert.match(done.stdout, /keeps every point of generation 2 from sequence \d+/);
          assert.ok((await keys(target)).length < before.length);

          const list = await holdfast(['backup', 'list', '--target', target.description]);
          assert.equal(list.code, 0, list.stderr);
          const oldest = report.restorable.reduce((o, s) => (s.fromTime < o.fromTime ? s : o));
          assert.ok(list.stdout.includes(`oldest restorable point: ${oldest.fromTime}`), list.stdout);
          assert.ok(list.stdout.includes(`newest: ${report.restorable.at(-1)?.toTime ?? '?'}`), list.stdout);
          const verified = await holdfast(['backup', 'verify', '--target', target.description]);
          assert.equal(verified.code, 0, verified.stdout);
        } finally {
          await target.close();
        }
      });
    }

    test('a crash at any step of a prune leaves every promised point restorable and verify passing; the next prune finishes', async () => {
      const clean = await copy();
      const plan = await prune(clean, history.now, true);
      await prune(clean, history.now);
      const finalKeys = await keys(clean);
      await clean.close();
      const manifests = plan.removed.snapshots.length + plan.removed.segments.length;
      const total = manifests * 2 + plan.removed.leftovers.length + plan.removed.blobs.length;
      for (const allowed of [...new Set([1, manifests - 1, manifests, manifests + 1, total - 1])].filter((k) => k > 0 && k < total)) {
        const inner = await copy();
        try {
          const crashing = crashingAfter(inner, allowed);
          await assert.rejects(pruneBackup(crashing, { policy: POLICY, now: history.now }), /simulated crash/);
          assert.equal(crashing.deletes, allowed);
          const verified = await verifyBackup(inner);
          assert.deepEqual(verified.problems, [], `after ${allowed} deletions`);
          await assertPromisesKept(inner, history, plan, true);
          // Restarted, the prune removes the rest (objects whose manifest went first included).
          await prune(inner, history.now);
          assert.deepEqual(await keys(inner), finalKeys, `after ${allowed} deletions and a second prune`);
        } finally {
          await inner.close();
        }
      }
    });
  });
}
