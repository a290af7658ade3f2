// Deterministic pseudo-random numbers for test data, so that a failing case can be replayed from
// its seed.

/** An xorshift32 generator: each call gives the next unsigned 32-bit value. Seed 0 is taken as 1. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** The same generator scaled to [0, 1), for picking positions and bits as Math.random would. */
export function rngFraction(seed: number): () => number {
  const next = rng(seed);
  return () => next() / 2 ** 32;
}
