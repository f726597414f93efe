// Seeded mutation fuzzing of every reader of user files: safetensors, learner checkpoints (with
// their metadata), IDX (raw and gzip). Each mutated file must end in an Error that names the file,
// or parse to data consistent with its own header — never another exception, a hang (each case
// ≤ 2 s: what "no hang" means here) or an allocation past the file's own size (the readers check
// sizes before allocating; a case's heap growth is bounded below). 1,000 cases per reader in the
// fast tier, 20,000 in the full tier. A failure prints fast-check's seed and path: replay with
// BYOL_FUZZ_SEED=<seed>.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { BYOL } from "../src/byol";
import { parseIdx } from "../src/data/idx";
import { gunzipIdxSync } from "../src/data/read-idx";
import { parseSafetensors, writeSafetensors } from "../src/io/safetensors";
import { smallCnn } from "../src/nets/small-cnn";
import { readCheckpointInfo, restoreCheckpoint, serializeCheckpoint } from "../src/train/checkpoint";
import { idxBytes } from "./data-helpers";
import { fullTier } from "./tier";

const RUNS = fullTier ? 20_000 : 1_000;
const SEED = Number(process.env.BYOL_FUZZ_SEED ?? 20261201);
const CASE_MS = 2_000;
/** Heap a single case may add beyond its input (the largest valid file here is ~20 kB). */
const CASE_BYTES = 64 << 20;

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

function apply(base: Uint8Array, ms: Mutation[], focus: number): Uint8Array {
  let b: Uint8Array = base.slice();
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

/** Runs `read` on one case: an Error naming `source`, or a result `check` accepts; in time and memory. */
function oneCase<T>(source: string, input: Uint8Array, read: () => T, check: (r: T) => void): void {
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
  if (grew > CASE_BYTES + input.length) throw new Error(`case grew array buffers by ${grew} bytes`);
  if (error !== undefined) {
    if (!(error instanceof Error)) throw new Error(`threw a non-Error: ${String(error)}`);
    if (!error.message.startsWith(`${source}:`)) throw new Error(`error does not name the file first: ${error.message}`);
    return;
  }
  check(result as T);
}

const property = (base: Uint8Array, focus: number, run: (bytes: Uint8Array) => void) =>
  fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => run(apply(base, ms, focus))), { numRuns: RUNS, seed: SEED });

describe("fuzzing the readers of user files", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
  });

  it(`safetensors: ${RUNS} mutated files (lengths, JSON, offsets, dtypes, shapes)`, () => {
    const base = writeSafetensors({ "a.weight": { shape: [3, 4], data: new Float32Array(12).fill(0.5) }, b: { shape: [5], data: new Float32Array(5) } }, { format: "x" });
    // JSON-level edits too: dtypes swapped, shapes and offsets off, keys duplicated
    const text = new TextDecoder().decode(base);
    const variants = [base, ...["F16", "I64", "BF16", "F64", "U8"].map((d) => new TextEncoder().encode(text.replace('"F32"', `"${d}"`))),
      new TextEncoder().encode(text.replace('"shape":[3,4]', '"shape":[4294967296,4294967296]')),
      new TextEncoder().encode(text.replace('"shape":[5]', '"shape":[-5]')),
      new TextEncoder().encode(text.replace('"data_offsets":[0,48]', '"data_offsets":[48,0]')),
      new TextEncoder().encode(text.replace('{"a.weight"', '{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a.weight"'))];
    const check = (f: ReturnType<typeof parseSafetensors>) => {
      for (const [name, t] of Object.entries(f.tensors)) expect(t.data.length, name).toBe(t.shape.reduce((a, b) => a * b, 1));
    };
    for (const v of variants) oneCase("fuzz.safetensors", v, () => parseSafetensors(v, "fuzz.safetensors"), check);
    property(base, 200, (bytes) => oneCase("fuzz.safetensors", bytes, () => parseSafetensors(bytes, "fuzz.safetensors"), check));
  }, 600_000);

  it(`checkpoints: ${RUNS} mutated files, the learner untouched unless the file fits`, async () => {
    const make = () => BYOL.create({ encoder: smallCnn({ inputSize: 8, channels: 1, width: 1, seed: 1 }), imageSize: 8, channels: 1, projectionSize: 2, projectionHiddenSize: 4, seed: 1 });
    const source = await make();
    const base = await serializeCheckpoint(source, { step: 0, position: { epoch: 0, batch: 0 } });
    const learner = await make();
    const snapshot = () => learner.networks.online.projector.getWeights().map((w) => w.dataSync().slice());
    const before = snapshot();
    // metadata edits: info that is not JSON, not an object, or with bad step fields
    const parsed = parseSafetensors(base, "base");
    const tensors = Object.fromEntries(Object.entries(parsed.tensors).map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
    for (const info of ['"not json', "5", "null", "[]", '{"step":-1,"optimizerStep":0}', '{"step":1.5,"optimizerStep":0}', '{"step":0}']) {
      const bytes = writeSafetensors(tensors, { ...parsed.metadata, info });
      expect(() => readCheckpointInfo(bytes, "fuzz.ck"), info).toThrow(/^fuzz\.ck: checkpoint metadata is corrupted \(info/);
      oneCase("fuzz.ck", bytes, () => restoreCheckpoint(learner, bytes, "fuzz.ck"), () => expect.unreachable("restored corrupt metadata"));
    }
    // a refused file changes nothing; a file that fits is restored (then the original is put back)
    property(base, 2000, (bytes) => {
      let restored = false;
      oneCase("fuzz.ck", bytes, () => restoreCheckpoint(learner, bytes, "fuzz.ck"), () => (restored = true));
      if (restored) restoreCheckpoint(learner, base, "base");
      expect(snapshot()).toEqual(before);
    });
    source.dispose();
    learner.dispose();
  }, 600_000);

  it(`IDX, raw and gzip: ${RUNS} mutated files each`, () => {
    const raw = idxBytes([3, 4, 4]);
    const check = (r: ReturnType<typeof parseIdx>) => expect(r.data.length).toBe(r.shape.reduce((a, b) => a * b, 1));
    property(raw, 20, (bytes) => oneCase("fuzz-idx", bytes, () => parseIdx(bytes, "fuzz-idx"), check));
    const gz = new Uint8Array(gzipSync(raw));
    property(gz, gz.length, (bytes) => oneCase("fuzz-idx.gz", bytes, () => parseIdx(gunzipIdxSync(bytes, "fuzz-idx.gz"), "fuzz-idx.gz"), check));
  }, 600_000);
});
