// A small seeded PRNG (mulberry32), so every randomised test (the crash test, recurrence)
// replays from one printed seed. Not for anything secret: it is 32 bits of state.

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** A whole number in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(choices: readonly T[]): T;
  /** A 32-bit seed for another generator, so parts draw independent streams. */
  seed(): number;
  /** Fills `bytes` with random bytes. */
  fill(bytes: Uint8Array): void;
}

export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function createRandom(seed: number): Random {
  const next32 = mulberry32(seed);
  const next = () => next32() / 2 ** 32;
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick<T>(choices: readonly T[]): T {
      if (choices.length === 0) throw new RangeError('cannot pick from nothing');
      return choices[Math.floor(next() * choices.length)] as T;
    },
    seed: () => next32(),
    fill(bytes) {
      // Four bytes per draw; a 2 MB blob takes about half a million draws, a few milliseconds.
      const whole = bytes.byteLength - (bytes.byteLength % 4);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let offset = 0; offset < whole; offset += 4) view.setUint32(offset, next32(), true);
      for (let offset = whole; offset < bytes.byteLength; offset += 1) bytes[offset] = next32() & 0xff;
    },
  };
}

/** A seed from the clock and the process, for runs that were not given one. */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16) ^ Math.floor(Math.random() * 2 ** 32)) >>> 0;
}

export function parseSeed(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`a seed is a whole number from 0 to 4294967295, got ${JSON.stringify(text)}`);
  }
  return value;
}
