// The photo library's numbers on /metrics: how far behind the change log the indexer is,
// how many images wait for the decoder, and what became of those processed.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { PhotoLibrary } from './photo-library.ts';

export function installPhotoMetrics(registry: Registry, photos: PhotoLibrary): void {
  new Gauge({
    name: 'holdfast_photos_backlog_changes',
    help: 'Change-log entries the photo indexer has not read yet (0 when caught up).',
    registers: [registry],
    async collect() {
      const backlog = await photos.backlog().catch(() => null);
      if (backlog === null) this.reset();
      else this.set(backlog);
    },
  });
  new Gauge({
    name: 'holdfast_photos_queue_length',
    help: 'Images waiting for the decoder (thumbnail requests and the background indexer).',
    registers: [registry],
    collect() {
      this.set(photos.queueLength);
    },
  });
  const processed = new Counter({
    name: 'holdfast_photos_processed_total',
    help: 'Contents the photo library has looked at, by outcome: ready, unsupported (no decoder here), failed (damaged), not-media.',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const failed = new Counter({
    name: 'holdfast_photos_failed_total',
    help: 'Images whose thumbnail could not be made because they are damaged or unreadable; the originals are kept as uploaded.',
    registers: [registry],
  });
  photos.onProcessed((record) => {
    processed.inc({ status: record.status });
    if (record.status === 'failed') failed.inc();
  });
}
