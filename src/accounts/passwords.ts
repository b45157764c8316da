// User-chosen passwords: argon2id hashing and the strength policy.
//
// People reuse and pick guessable passwords, so a leaked hash must be slow and memory-hard
// to attack offline: argon2id. (App passwords and tokens are random and use a fast hash;
// see ./secrets.ts.)
import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

// The argon2 package's defaults (64 MiB, 3 passes, 4 lanes), spelled out so that a change
// in the package cannot silently weaken new hashes. Each hash records its own parameters,
// so old hashes keep verifying if these are changed.
const HASH_OPTIONS = { type: argon2.argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4 } as const;

export const MIN_PASSWORD_LENGTH = 10;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, HASH_OPTIONS);
}

/** True if `password` matches `passwordHash` (an argon2 hash string, as made by
 * `hashPassword`). Throws if the stored hash is not an argon2 hash: that is corrupt data,
 * not a wrong password. */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(passwordHash, password);
  } catch (error) {
    // The argon2 error names the malformed hash, never the password; say what to do.
    throw new Error('the stored password hash is not a valid argon2 hash; set a new password for this user', {
      cause: error,
    });
  }
}

let dummyHash: Promise<string> | undefined;

/** Spends the time of one `verifyPassword` and answers nothing. Used for unknown or
 * deleted users, so that how long a failed sign-in takes does not reveal whether the
 * name exists. The dummy hash is made once per process, on first use. */
export async function verifyAgainstDummyHash(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(32).toString('base64url'));
  let hash: string;
  try {
    hash = await dummyHash;
  } catch (error) {
    dummyHash = undefined; // let a later call try again
    throw error;
  }
  await argon2.verify(hash, password);
}

/** Null if the password may be used, otherwise a message explaining the rule.
 * Length is what makes a password hard to guess, so that is the one rule (plus not
 * reusing the user name, the first guess of any attacker). */
export function checkPasswordStrength(password: string, userName: string): string | null {
  const length = [...password].length; // characters, not UTF-16 units
  if (length < MIN_PASSWORD_LENGTH) {
    return (
      `The password has ${length} character${length === 1 ? '' : 's'}; use at least ${MIN_PASSWORD_LENGTH}. ` +
      'A few unrelated words make a long password that is easy to remember.'
    );
  }
  if (password.trim().toLowerCase() === userName.trim().toLowerCase()) {
    return 'The password is the same as the user name, which is the first thing an attacker tries; choose another.';
  }
  return null;
}
