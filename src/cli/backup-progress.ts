// Progress of a restore (or of the restore inside verify) on stderr: a bar redrawn in
// place on a terminal, plain lines at most every few seconds otherwise (a log, a pipe).
// Either way with an estimate of the time left from the rate so far.
import type { RestoreProgress } from '../backup/restore.ts';
import { formatBytes } from './layout.ts';

const BAR_WIDTH = 30;
const PLAIN_EVERY_MS = 2000;

export interface ProgressOutput {
  report: (progress: RestoreProgress) => void;
  /** Ends the bar's line. */
  done: () => void;
}

export function progressOutput(stream: NodeJS.WritableStream, isTTY: boolean, now: () => number = Date.now): ProgressOutput {
  const started = now();
  let lastPlain = 0;
  let lastPhase: RestoreProgress['phase'] | null = null;
  let drew = false;
  return {
    report(progress) {
      const line = describe(progress, (now() - started) / 1000);
      if (isTTY) {
        stream.write(`\r\u001b[2K${line}`);
        drew = true;
        return;
      }
      const t = now();
      if (progress.phase !== lastPhase || t - lastPlain >= PLAIN_EVERY_MS) {
        stream.write(`${line}\n`);
        lastPlain = t;
        lastPhase = progress.phase;
      }
    },
    done() {
      if (isTTY && drew) stream.write('\n');
    },
  };
}

export function describe(progress: RestoreProgress, elapsedSeconds: number): string {
  const fraction = progress.totalBytes === 0 ? 1 : Math.min(1, progress.doneBytes / progress.totalBytes);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const rate = elapsedSeconds > 0 ? progress.doneBytes / elapsedSeconds : 0;
  const left = rate > 0 && fraction < 1 ? `, about ${formatSeconds((progress.totalBytes - progress.doneBytes) / rate)} left` : '';
  const what = progress.phase === 'metadata' ? 'metadata' : progress.phase === 'blobs' ? 'blobs' : 'checking every hash';
  return `restoring ${what} ${bar} ${Math.floor(fraction * 100)}% ${formatBytes(progress.doneBytes)} of ${formatBytes(progress.totalBytes)}${left}`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
