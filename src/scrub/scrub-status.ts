// What the background scrub has done in this process, for /metrics: counts that only grow,
// and every problem as it is found (the metrics count them by kind and outcome).
import type { ScrubProblem, ScrubReport } from './scrub-pass.ts';

export class ScrubStatus {
  blobsChecked = 0;
  bytesChecked = 0;
  passesCompleted = 0;
  lastPassFinishedAt: string | null = null;
  /** null until the first check of this process has run. */
  metadataOk: boolean | null = null;
  private readonly listeners = new Set<(problem: ScrubProblem) => void>();

  subscribe(listener: (problem: ScrubProblem) => void): void {
    this.listeners.add(listener);
  }

  problem(problem: ScrubProblem): void {
    for (const listener of this.listeners) listener(problem);
  }

  passEnded(report: ScrubReport): void {
    this.metadataOk = report.metadataOk;
    if (report.complete) {
      this.passesCompleted += 1;
      this.lastPassFinishedAt = report.finishedAt;
    }
  }
}
