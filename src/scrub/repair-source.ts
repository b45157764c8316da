// Where a scrub gets a good copy of a blob: the backup targets, each unlocked once (with
// the passphrase if it is encrypted). A copy counts only if its bytes hash to the name.
import { blobKey, sha256Of } from '../backup/format.ts';
import type { BackupTarget } from '../backup/target.ts';
import { unlockTarget } from '../backup/unlock-target.ts';

export type FetchResult = { kind: 'found'; data: Uint8Array; from: string } | { kind: 'not-found'; tried: string[] };

export interface RepairSource {
  readonly descriptions: string[];
  fetch(hash: string): Promise<FetchResult>;
}

export function repairSourceFrom(targets: readonly BackupTarget[], passphrase: string | undefined): RepairSource {
  const unlocked = new Map<BackupTarget, Promise<BackupTarget | string>>();
  const open = (target: BackupTarget): Promise<BackupTarget | string> => {
    let ready = unlocked.get(target);
    if (!ready) {
      ready = unlockTarget(target, passphrase).then((result) =>
        result.kind === 'unlocked' ? result.target : result.kind === 'empty' ? `${target.description} holds no Holdfast backup` : result.reason,
      );
      unlocked.set(target, ready);
    }
    return ready;
  };
  return {
    descriptions: targets.map((t) => t.description),
    async fetch(hash) {
      const tried: string[] = [];
      for (const target of targets) {
        const opened = await open(target);
        if (typeof opened === 'string') {
          tried.push(opened);
          continue;
        }
        let data: Uint8Array | null;
        try {
          data = await opened.get(blobKey(hash));
        } catch (error) {
          tried.push(`${target.description}: ${error instanceof Error ? error.message : String(error)}`);
          continue;
        }
        if (data === null) tried.push(`${target.description} does not hold it`);
        else if (sha256Of(data) !== hash) tried.push(`${target.description} holds a damaged copy`);
        else return { kind: 'found', data, from: target.description };
      }
      return { kind: 'not-found', tried };
    },
  };
}
