// App passwords, bearer tokens and credential ids.
//
// Why SHA-256 here and argon2id for user passwords: a slow hash protects secrets that
// are guessable, by making each offline guess expensive. These secrets are ~120–256 random
// bits from the operating system's CSPRNG; nobody can enumerate that space however fast
// the hash, so a fast hash loses nothing. It also lets the store find a credential by an
// index on the hash (argon2's per-hash salt would force trying every stored hash) and
// keeps each API request cheap.
//
// Where comparisons happen: a credential is found by the store's index on the hash, never
// by comparing secrets in this process. An index lookup's timing can at most leak bits of
// the stored SHA-256 hash, which does not help find a preimage. The hash is of the secret
// as a whole, so no prefix of the secret can be confirmed piece by piece.
import { createHash, randomBytes, randomInt } from 'node:crypto';

// Lowercase so a phone keyboard needs no shift; without 0/o, 1/l/i, which are confused
// when read off a screen. 31 symbols, 25 of them: 25 × log2(31) ≈ 124 bits.
export const APP_PASSWORD_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const GROUPS = 5;
const GROUP_LENGTH = 5;

const TOKEN_PREFIX = 'hf_';
const TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^hf_[A-Za-z0-9_-]{43}$/;

export interface NewSecret {
  /** Shown to the user once; never stored. */
  secret: string;
  /** What the store keeps, and looks the credential up by. */
  hash: string;
}

/** An app password like `abcde-fghjk-mnpqr-stuvw-xyz23`. */
export function newAppPassword(): NewSecret {
  let symbols = '';
  for (let i = 0; i < GROUPS * GROUP_LENGTH; i++) {
    symbols += APP_PASSWORD_ALPHABET[randomInt(APP_PASSWORD_ALPHABET.length)]; // unbiased
  }
  const secret = group(symbols);
  return { secret, hash: sha256(secret) };
}

/** The hash to look an app password up by, or null if `input` cannot be one (so a user's
 * own password skips the lookup). Forgives what people do when typing one into a phone:
 * capitals (auto-capitalisation), and missing or extra dashes and spaces. */
export function appPasswordHash(input: string): string | null {
  const symbols = input.toLowerCase().replace(/[\s-]/g, '');
  if (symbols.length !== GROUPS * GROUP_LENGTH) return null;
  for (const symbol of symbols) if (!APP_PASSWORD_ALPHABET.includes(symbol)) return null;
  return sha256(group(symbols));
}

/** A bearer token: `hf_` and 32 random bytes in base64url. The prefix lets secret scanners
 * and people recognise a leaked Holdfast token. */
export function newToken(): NewSecret {
  const secret = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
  return { secret, hash: sha256(secret) };
}

/** The hash to look a token up by, or null if `input` is not shaped like a token. */
export function tokenHash(input: string): string | null {
  return TOKEN_SHAPE.test(input) ? sha256(input) : null;
}

/** 64 random bits in hex: short enough to type in a `revoke` command, with collisions
 * unlikely even across millions of credentials. */
export function newCredentialId(): string {
  return randomBytes(8).toString('hex');
}

function group(symbols: string): string {
  const groups: string[] = [];
  for (let i = 0; i < symbols.length; i += GROUP_LENGTH) groups.push(symbols.slice(i, i + GROUP_LENGTH));
  return groups.join('-');
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
