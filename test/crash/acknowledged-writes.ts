// Everything the crash writers were told was durable, across every round on one data
// directory. State accumulates: a write acknowledged ten kills ago must still be there.
import type { AckLine } from './writer-report.ts';

export interface AcknowledgedWrites {
  /** The store every round must find; learnt from the first writer's "ready" line. */
  storeId: string | null;
  /** Every acknowledged revision (content or tombstone), by revision id. */
  byRevision: Map<string, AckLine>;
  /** The acknowledged write with the highest seq, per item: its head can be no older. */
  lastByItem: Map<string, AckLine>;
  highestSeq: number;
}

export function noAcknowledgedWrites(): AcknowledgedWrites {
  return { storeId: null, byRevision: new Map(), lastByItem: new Map(), highestSeq: 0 };
}

/** Adds a round's acknowledgements. Returns why they cannot all be true, if they cannot:
 * a revision id or seq handed out twice is a store bug the parent can see without opening it. */
export function recordAcknowledged(ledger: AcknowledgedWrites, acks: readonly AckLine[]): string[] {
  const problems: string[] = [];
  const seqs = new Set<number>();
  for (const ack of acks) {
    if (ledger.byRevision.has(ack.revision)) problems.push(`revision ${ack.revision} was acknowledged twice`);
    if (seqs.has(ack.seq)) problems.push(`seq ${ack.seq} was acknowledged for two writes in one round`);
    seqs.add(ack.seq);
    ledger.byRevision.set(ack.revision, ack);
    const last = ledger.lastByItem.get(ack.item);
    if (!last || ack.seq > last.seq) ledger.lastByItem.set(ack.item, ack);
    ledger.highestSeq = Math.max(ledger.highestSeq, ack.seq);
  }
  return problems;
}
