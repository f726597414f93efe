// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
// counter-based generator. Every draw is a pure function of (key, counter), so an augmentation
// parameter depends only on (seed, step, sample, view, draw) and never on how a batch is split.

// The four output words of the last philox() call (wasm globals: no memory, no data segment).
export let philox0: u32 = 0;
export let philox1: u32 = 0;
export let philox2: u32 = 0;
export let philox3: u32 = 0;

/** Ten Philox rounds on counter (c0, c1, c2, c3) with key (k0, k1); results in philox0…philox3. */
export function philox(c0: u32, c1: u32, c2: u32, c3: u32, k0: u32, k1: u32): void {
  for (let r = 0; r < 10; r++) {
    const p0 = <u64>0xd2511f53 * <u64>c0;
    const p1 = <u64>0xcd9e8d57 * <u64>c2;
    const n0 = <u32>(p1 >> 32) ^ c1 ^ k0;
    const n2 = <u32>(p0 >> 32) ^ c3 ^ k1;
    c1 = <u32>p1;
    c3 = <u32>p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9e3779b9;
    k1 += 0xbb67ae85;
  }
  philox0 = c0;
  philox1 = c1;
  philox2 = c2;
  philox3 = c3;
}

/** A 32-bit word as a uniform double in [0, 1). */
// @ts-ignore: decorator
@inline export function unit(x: u32): f64 {
  return <f64>x * 2.3283064365386963e-10; // 2^-32
}

/**
 * Fills n u32 words at `out` with Philox4x32-10 of key (k0, k1) and counters
 * (c0 + i / 4, c1, c2, c3), i = 0 … n − 1: the raw stream, for tests against the published
 * known-answer vectors.
 */
export function rng_fill(out: usize, n: i32, k0: u32, k1: u32, c0: u32, c1: u32, c2: u32, c3: u32): void {
  for (let i = 0; i < n; i += 4) {
    philox(c0 + <u32>(i >> 2), c1, c2, c3, k0, k1);
    const p = out + (<usize>i << 2);
    store<u32>(p, philox0);
    if (i + 1 < n) store<u32>(p, philox1, 4);
    if (i + 2 < n) store<u32>(p, philox2, 8);
    if (i + 3 < n) store<u32>(p, philox3, 12);
  }
}
