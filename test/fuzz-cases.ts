// The seeded mutation machinery the fuzz tests share: byte-level mutations of a valid file, and one
// case's verdict — an Error naming the source first, or a result the caller's check accepts — in
// bounded time and array-buffer growth. Replay a failure with BYOL_FUZZ_SEED=<seed>.
import fc from "fast-check";
import { fullTier } from "./tier";

/** Cases per reader: 1,000 in the fast tier, 20,000 in the full tier. */
export const RUNS = fullTier ? 20_000 : 1_000;
export const SEED = Number(process.env.BYOL_FUZZ_SEED ?? 20261201);
const CASE_MS = 2_000;
/** Heap a single case may add beyond its input (the largest valid file here is ~20 kB). */
export const CASE_BYTES = 64 << 20;

/** One mutation of a byte string. */
type Mutation =
  | { op: "flip"; at: number; bit: number }
  | { op: "truncate"; at: number }
  | { op: "set32"; at: number; value: number }
  | { op: "set64"; at: number; value: bigint }
  | { op: "insert"; at: number; bytes: Uint8Array };

const LENGTHS = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
const mutation = fc.oneof(
  fc.record({ op: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ op: fc.constant("set32" as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(...LENGTHS), fc.nat()) }),
  fc.record({ op: fc.constant("set64" as const), at: fc.nat(), value: fc.constantFrom(0n, 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
);
/** One to four mutations. */
export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 });

/** `base` with `ms` applied; half the positions land in its first `focus` bytes (the header). */
export function apply(base: Uint8Array, ms: Mutation[], focus: number): Uint8Array {
  let b = new Uint8Array(base); // a copy: a Buffer's slice() is a view of the seed
  for (const m of ms) {
    if (b.length === 0) break;
    // half the positions land in the header, where the lengths and shapes are
    const at = m.at % 2 === 0 ? (m.at >> 1) % Math.min(b.length, focus) : (m.at >> 1) % b.length;
    if (m.op === "flip") b[at] ^= 1 << m.bit;
    else if (m.op === "truncate") b = b.slice(0, at);
    else if (m.op === "insert") b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]);
    else {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      if (m.op === "set32" && at + 4 <= b.length) v.setUint32(at, m.value, at % 2 === 0);
      if (m.op === "set64" && at + 8 <= b.length) v.setBigUint64(at, m.value, true);
    }
  }
  return b;
}

/**
 * Runs `read` on one case: an Error naming `source`, or a result `check` accepts; in time and
 * memory (`bytes`: the growth allowed beyond the input). Returns the error, if any.
 */
export function oneCase<T>(source: string, input: Uint8Array, read: () => T, check: (r: T) => void, bytes = CASE_BYTES): Error | undefined {
  const heap = process.memoryUsage().arrayBuffers;
  const t0 = performance.now();
  let result: T | undefined;
  let error: unknown;
  try {
    result = read();
  } catch (e) {
    error = e;
  }
  const ms = performance.now() - t0;
  if (ms > CASE_MS) throw new Error(`case took ${ms.toFixed(0)} ms (> ${CASE_MS})`);
  const grew = process.memoryUsage().arrayBuffers - heap;
  if (grew > bytes + input.length) throw new Error(`case grew array buffers by ${grew} bytes`);
  if (error !== undefined) {
    if (!(error instanceof Error)) throw new Error(`threw a non-Error: ${String(error)}`);
    if (!error.message.startsWith(`${source}:`)) throw new Error(`error does not name the file first: ${error.message}`);
    return error;
  }
  check(result as T);
  return undefined;
}

/** `RUNS` cases of `run` on mutations of `base` (`focus`: see {@link apply}). */
export const property = (base: Uint8Array, focus: number, run: (bytes: Uint8Array) => void, runs = RUNS) =>
  fc.assert(fc.property(mutations, (ms) => void run(apply(base, ms, focus))), { numRuns: runs, seed: SEED });
