// Every use of a target starts here: read its header, check it is a Holdfast backup (of
// the right store), and, if it is encrypted, derive the key from the passphrase. A backup
// that is starting writes the header first, encrypted if a passphrase is set.
import { encryptedTarget, newEncryption, unlock, PASSPHRASE_ENV } from './encryption.ts';
import type { BackupHeader } from './format.ts';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, HEADER_KEY, encodeJson, parseHeader } from './format.ts';
import type { BackupTarget } from './target.ts';

export type UnlockResult =
  | { kind: 'unlocked'; target: BackupTarget; header: BackupHeader }
  | { kind: 'empty' }
  | { kind: 'refused'; reason: string };

export async function unlockTarget(
  target: BackupTarget,
  passphrase: string | undefined,
  create?: { storeId: string; now: Date },
): Promise<UnlockResult> {
  const data = await target.get(HEADER_KEY);
  if (data === null) {
    if (create === undefined) return { kind: 'empty' };
    const encryption = passphrase === undefined ? null : newEncryption(passphrase);
    const header: BackupHeader = {
      format: BACKUP_FORMAT,
      version: BACKUP_FORMAT_VERSION,
      storeId: create.storeId,
      createdAt: create.now.toISOString(),
      encryption: encryption?.header ?? null,
    };
    await target.put(HEADER_KEY, encodeJson(header));
    // Read back: if another writer made the header first, theirs is the one that counts.
    return unlockTarget(target, passphrase, undefined);
  }
  const header = parseHeader(data);
  if (typeof header === 'string') return { kind: 'refused', reason: `${target.description}: ${header}` };
  if (header.encryption === null) {
    if (passphrase !== undefined && create !== undefined) {
      return { kind: 'refused', reason: `${target.description} holds an unencrypted backup, but ${PASSPHRASE_ENV} is set: back up to a new target to encrypt, or unset it` };
    }
    return { kind: 'unlocked', target, header };
  }
  if (passphrase === undefined) {
    return { kind: 'refused', reason: `${target.description} is encrypted: set ${PASSPHRASE_ENV} to its passphrase` };
  }
  const key = unlock(passphrase, header.encryption);
  if (key === null) return { kind: 'refused', reason: `the passphrase in ${PASSPHRASE_ENV} is not the one ${target.description} was encrypted with` };
  return { kind: 'unlocked', target: encryptedTarget(target, key, HEADER_KEY), header };
}
