// Prometheus metrics at GET /metrics. Each server has its own registry, so two servers in
// one process (tests, or a future multi-store host) never mix their numbers.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../store/store.ts';
import type { CommitBatches } from './commit-batches.ts';
import type { TargetLag } from '../backup/follower.ts';
import { readDrillRecord, type TargetDrill } from '../backup/drill.ts';
import type { ScrubStatus } from '../scrub/scrub-status.ts';

export type AuthFailureReason = 'missing' | 'malformed' | 'invalid' | 'rate-limited';

export interface ServerMetrics {
  readonly registry: Registry;
  authFailure: (reason: AuthFailureReason) => void;
}

// The process's own metrics (CPU, memory, GC, event loop) are the same for every server in
// it, and collectDefaultMetrics starts a GC observer that is never stopped: made once per
// process, not once per server, or each server built (thousands in the sync simulation)
// stays in memory and every GC notifies all of them.
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export function installMetrics(
  app: FastifyInstance,
  store: Store,
  commitBatches?: CommitBatches,
  backupLag?: () => Promise<TargetLag[]>,
  durability?: { dataDir: string; scrub?: ScrubStatus | undefined },
): ServerMetrics {
  const registry = new Registry();

  const requests = new Counter({
    name: 'holdfast_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'holdfast_http_request_duration_seconds',
    help: 'Time from receiving a request to sending the last byte of its answer.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const authFailures = new Counter({
    name: 'holdfast_auth_failures_total',
    help: 'Refused sign-ins: missing or malformed credentials, wrong credentials, rate limited.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'holdfast_store_sequence',
    help: 'The highest change-log sequence number of the store; it only grows, except after a restore (watch the generation).',
    registers: [registry],
    async collect() {
      try {
        this.set((await store.identity()).sequence);
      } catch {
        this.reset(); // no number beats a stale one; /readyz says why
      }
    },
  });
  new Gauge({
    name: 'holdfast_store_generation',
    help: 'The store generation, bumped by every restore from backup.',
    registers: [registry],
    async collect() {
      try {
        this.set((await store.identity()).generation);
      } catch {
        this.reset();
      }
    },
  });

  if (commitBatches) {
    const batchWrites = new Histogram({
      name: 'holdfast_store_commit_batch_writes',
      help: 'Writes per group-commit transaction: many writers sharing one fsync shows as batches above 1.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers: [registry],
    });
    const commitSeconds = new Histogram({
      name: 'holdfast_store_commit_duration_seconds',
      help: 'Time to run and make durable one group-commit transaction.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
    const failedWrites = new Counter({
      name: 'holdfast_store_failed_writes_total',
      help: 'Writes that failed inside a commit (an I/O error or a bug; refused preconditions are not failures).',
      registers: [registry],
    });
    commitBatches.subscribe((batch) => {
      batchWrites.observe(batch.writes);
      commitSeconds.observe(batch.durationMs / 1000);
      if (batch.failed > 0) failedWrites.inc(batch.failed);
    });
  }

  if (backupLag) installBackupMetrics(registry, backupLag);
  if (durability) installDurabilityMetrics(registry, durability.dataDir, durability.scrub);

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    // The route pattern, never the raw URL: item names must not become label values.
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.get('/metrics', async (_request, reply) => {
    const body = (await processMetrics().metrics()) + (await registry.metrics());
    return reply.type(registry.contentType).send(body);
  });

  return { registry, authFailure: (reason) => authFailures.inc({ reason }) };
}

/** A gauge with one value per backup target, read from `rows` when scraped. A target
 * whose value is null is left out; if `rows` fails, the gauge is empty (no number beats a
 * stale one). */
function perTargetGauge<Row extends { target: string }>(
  registry: Registry,
  name: string,
  help: string,
  rows: () => Promise<readonly Row[]>,
  value: (row: Row) => number | null,
): void {
  new Gauge({
    name,
    help,
    labelNames: ['target'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      let read: readonly Row[];
      try {
        read = await rows();
      } catch {
        return;
      }
      for (const row of read) {
        const v = value(row);
        if (v !== null) this.set({ target: row.target }, v);
      }
    },
  });
}

/** How far each backup target is behind the store, in changes and in seconds. */
function installBackupMetrics(registry: Registry, backupLag: () => Promise<TargetLag[]>): void {
  const gauge = (name: string, help: string, value: (lag: TargetLag) => number | null) => perTargetGauge(registry, name, help, backupLag, value);
  gauge('holdfast_backup_behind_changes', 'Changes the store has that the backup target does not yet.', (lag) => lag.behindChanges);
  gauge('holdfast_backup_behind_seconds', 'Age of the oldest change the backup target does not have yet (0 when caught up).', (lag) => lag.behindSeconds);
  gauge('holdfast_backup_shipped_sequence', 'The highest change-log sequence number the backup target holds.', (lag) => lag.shippedSeq);
  gauge('holdfast_backup_target_healthy', '1 if the last backup pass to the target succeeded, 0 if it failed (see the error log).', (lag) => (lag.lastError === null ? 1 : 0));
}

/** The restore drill's last result (read from its file, so it survives restarts) and what
 * the background scrub has checked and found. */
function installDurabilityMetrics(registry: Registry, dataDir: string, scrub: ScrubStatus | undefined): void {
  type DrillRow = TargetDrill & { finishedAt: string };
  const drillRows = async (): Promise<DrillRow[]> => {
    const record = await readDrillRecord(dataDir);
    return (record?.targets ?? []).map((t) => ({ ...t, finishedAt: record?.finishedAt ?? '' }));
  };
  const drillGauge = (name: string, help: string, value: (t: DrillRow, finishedAt: string) => number | null) =>
    perTargetGauge(registry, name, help, drillRows, (row) => value(row, row.finishedAt));
  drillGauge('holdfast_backup_drill_ok', '1 if the last restore drill of the target restored and checked clean, 0 if it FAILED (see the error log).', (t) => (t.ok ? 1 : 0));
  drillGauge('holdfast_backup_drill_last_timestamp_seconds', 'When the last restore drill of the target finished (Unix time).', (_t, at) => Date.parse(at) / 1000);
  drillGauge('holdfast_backup_drill_recovery_point_seconds', 'Seconds of writes the target lacked at the last drill (0: it held everything).', (t) => t.recoveryPointSeconds);
  drillGauge('holdfast_backup_drill_recovery_time_seconds', 'Seconds the last drill took to check the target and restore it.', (t) => t.recoveryTimeSeconds);
  if (!scrub) return;
  new Gauge({ name: 'holdfast_scrub_blobs_checked', help: 'Blobs the background scrub has re-read and checked since the server started.', registers: [registry], collect() { this.set(scrub.blobsChecked); } });
  new Gauge({ name: 'holdfast_scrub_bytes_checked', help: 'Bytes the background scrub has re-read and checked since the server started.', registers: [registry], collect() { this.set(scrub.bytesChecked); } });
  new Gauge({
    name: 'holdfast_scrub_last_pass_timestamp_seconds',
    help: 'When the background scrub last finished a whole pass (Unix time); absent until one has.',
    registers: [registry],
    collect() {
      this.reset();
      if (scrub.lastPassFinishedAt !== null) this.set(Date.parse(scrub.lastPassFinishedAt) / 1000);
    },
  });
  new Gauge({
    name: 'holdfast_metadata_integrity_ok',
    help: "1 if the scrub's last check of the metadata database passed, 0 if it is damaged (restore it: see the error log).",
    registers: [registry],
    collect() {
      this.reset();
      if (scrub.metadataOk !== null) this.set(scrub.metadataOk ? 1 : 0);
    },
  });
  const problems = new Counter({
    name: 'holdfast_scrub_problems_total',
    help: 'Problems the scrub found, by kind (blob-corrupt, blob-missing, metadata-corrupt, metadata-inconsistent) and outcome (repaired, unrepaired).',
    labelNames: ['kind', 'outcome'] as const,
    registers: [registry],
  });
  scrub.subscribe((problem) => problems.inc({ kind: problem.kind, outcome: problem.repaired ? 'repaired' : 'unrepaired' }));
}
