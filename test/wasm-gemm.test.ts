// The GEMM kernel behind wasm BatchMatMul and _FusedMatMul (assembly/gemm.ts, bindings/tfjs-wasm/gemm.ts):
// every transpose form, bias and ReLU, edge shapes (1×1×1, sizes off the 4×8 tile, K and N over a
// packed block) against a float64 product of the same float32 inputs, on every build and on one and
// two kernel threads; the products must run on our kernel, not tfjs-wasm's (counted through the
// remembered originals); one thread's numbers on two, and the split of C between threads.
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc } from "@tensorflow/tfjs-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gemmSplit } from "../bindings/tfjs-wasm/gemm";
import { rememberedOriginals } from "../bindings/tfjs-wasm/originals";
import { unregisterWasmKernels } from "../bindings/tfjs-wasm/register";
import { kernelHelpers } from "../bindings/tfjs-wasm/threads";
import { setBackend } from "../src/backend";
import { randn } from "./helpers";

/** [m, n, k]: C is m×n, the inner size k. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 9, 5],
  [4, 8, 256], // one whole tile, one whole K block
  [13, 17, 300], // K over one packed block (256)
  [125, 1030, 70], // M over a block of A (120), N over a block of B (1024)
  [3, 2, 2000], // K large
  [64, 200, 1400], // large enough to split over two threads (by columns)
  [600, 24, 1200], // split by rows
];
const FORMS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  relu: boolean;
}

const CASES: Case[] = SHAPES.flatMap(([m, n, k], s) =>
  FORMS.map(([transA, transB], f) => ({ m, n, k, transA, transB, bias: (s + f) % 2 === 0, relu: (s + f) % 3 === 0 })));

interface Data {
  a: Float32Array;
  b: Float32Array;
  bias: Float32Array;
  want: Float64Array;
  /** Per element: the float32 error bound (k + 2)·2⁻²³·(Σ|a·b| + |bias|), twice the textbook γ_k bound. */
  bound: Float64Array;
}

function data(c: Case, seed: number): Data {
  const a = randn(c.m * c.k, seed);
  const b = randn(c.k * c.n, seed + 1);
  const bias = randn(c.n, seed + 2);
  const want = new Float64Array(c.m * c.n);
  const bound = new Float64Array(c.m * c.n);
  for (let i = 0; i < c.m; i++) {
    for (let j = 0; j < c.n; j++) {
      let s = c.bias ? bias[j] : 0;
      let abs = Math.abs(s);
      for (let p = 0; p < c.k; p++) {
        const x = (c.transA ? a[p * c.m + i] : a[i * c.k + p]) * (c.transB ? b[j * c.k + p] : b[p * c.n + j]);
        s += x;
        abs += Math.abs(x);
      }
      want[i * c.n + j] = c.relu ? Math.max(0, s) : s;
      bound[i * c.n + j] = (c.k + 2) * 2 ** -23 * abs;
    }
  }
  return { a, b, bias, want, bound };
}

/** The product on the active backend: tf.matMul without bias and ReLU, else tf.fused.matMul. */
function product(c: Case, d: Data): Float32Array {
  return tf.tidy(() => {
    const a = tf.tensor2d(d.a, c.transA ? [c.k, c.m] : [c.m, c.k]);
    const b = tf.tensor2d(d.b, c.transB ? [c.n, c.k] : [c.k, c.n]);
    const out = c.bias || c.relu
      ? tf.fused.matMul({ a, b, transposeA: c.transA, transposeB: c.transB, bias: c.bias ? tf.tensor1d(d.bias) : undefined,
        activation: c.relu ? "relu" : "linear" })
      : tf.matMul(a, b, c.transA, c.transB);
    expect(out.shape).toEqual([c.m, c.n]);
    return out.dataSync() as Float32Array;
  });
}

/** Calls that reached tfjs-wasm's own BatchMatMul or _FusedMatMul (our kernels' fallback). */
let fallbacks = 0;
const counted = new Map<string, KernelConfig | undefined>();
const counters = new WeakSet<KernelConfig>();

/** Wraps the remembered originals so that a fallback is counted (the registration stays ours). */
function countFallbacks(): void {
  for (const name of ["BatchMatMul", "_FusedMatMul"]) {
    const original = rememberedOriginals().get(name)!;
    if (counters.has(original)) continue;
    const kernelFunc: KernelFunc = (args) => {
      fallbacks++;
      return original.kernelFunc(args);
    };
    counted.set(name, original);
    const counter = { ...original, kernelFunc };
    counters.add(counter);
    rememberedOriginals().set(name, counter);
  }
}

const inputs = new Map<Case, Data>();
const dataOf = (c: Case, i: number) => inputs.get(c) ?? inputs.set(c, data(c, 10 * i + 1)).get(c)!;

afterAll(async () => {
  for (const [name, original] of counted) rememberedOriginals().set(name, original);
  unregisterWasmKernels();
  await setBackend("wasm");
});

describe.each(["relaxed-simd", "simd", "scalar"] as const)("GEMM kernel (%s build)", (build) => {
  describe.each([1, 2])("%i kernel thread(s)", (threads) => {
    beforeAll(async () => {
      await setBackend("wasm", { kernelBuild: build, kernelThreads: threads });
      expect(kernelHelpers()).toHaveLength(threads - 1);
      countFallbacks();
    });

    it("matches a float64 product within float32 rounding for every form, edge shape, bias and ReLU, leaking nothing", () => {
      const before = tf.memory().numTensors;
      fallbacks = 0;
      CASES.forEach((c, i) => {
        const d = dataOf(c, i);
        const got = product(c, d);
        let worst = 0;
        for (let e = 0; e < got.length; e++) worst = Math.max(worst, Math.abs(got[e] - d.want[e]) / d.bound[e]);
        expect(worst, JSON.stringify(c)).toBeLessThanOrEqual(1);
      });
      expect(fallbacks).toBe(0);
      expect(tf.memory().numTensors).toBe(before);
    }, 60_000);

    it("leaves batched products, other activations and prelu to tfjs-wasm (counted: the count can fail)", () => {
      fallbacks = 0;
      tf.tidy(() => {
        tf.matMul(tf.ones([2, 3, 4]), tf.ones([2, 4, 5])).dataSync();
        tf.fused.matMul({ a: tf.ones([3, 4]), b: tf.ones([4, 5]), activation: "elu" }).dataSync();
        tf.fused.matMul({ a: tf.ones([3, 4]), b: tf.ones([4, 5]), activation: "prelu", preluActivationWeights: tf.ones([5]) }).dataSync();
      });
      expect(fallbacks).toBe(3);
    });
  });
});

describe("GEMM on two threads", () => {
  it("gives one thread's numbers bit for bit", async () => {
    const run = async (threads: number) => {
      await setBackend("wasm", { kernelBuild: "simd", kernelThreads: threads });
      return CASES.map((c, i) => product(c, dataOf(c, i)));
    };
    const one = await run(1);
    const two = await run(2);
    CASES.forEach((c, i) => expect(two[i], JSON.stringify(c)).toEqual(one[i]));
  }, 60_000);

  it("splits C into contiguous tile-aligned parts over what copies less, small products not at all", () => {
    for (const [m, n, k] of [[128, 4096, 512], [128, 512, 4096], [512, 4096, 128], [2400, 24, 1000], [7, 8000, 1000], [1000, 3, 20000]]) {
      for (const threads of [2, 3]) {
        const { over, parts } = gemmSplit(m, n, k, threads);
        const size = over === "rows" ? m : n;
        expect(parts.length, `${m}×${n}×${k}`).toBe(Math.min(threads, size));
        expect(parts[0][0]).toBe(0);
        expect(parts.at(-1)![1]).toBe(size);
        parts.forEach(([s, e], i) => {
          expect(e).toBeGreaterThan(s);
          if (i > 0) expect(s).toBe(parts[i - 1][1]);
          if (size >= threads * 8) expect(s % (over === "rows" ? 4 : 8)).toBe(0);
        });
      }
    }
    // a forward x·W with a wide W copies a column part of W, not all of it
    expect(gemmSplit(128, 4096, 512, 2).over).toBe("columns");
    expect(gemmSplit(16, 16, 16, 2).parts).toEqual([[0, 16]]);
    expect(gemmSplit(64, 1024, 128, 2).parts).toHaveLength(1); // the default step's products stay on one thread
    // the kernel tests' two largest shapes do run on two threads
    expect(gemmSplit(64, 200, 1400, 2)).toMatchObject({ over: "columns", parts: [[0, 96], [96, 200]] });
    expect(gemmSplit(600, 24, 1200, 2)).toMatchObject({ over: "rows", parts: [[0, 300], [300, 600]] });
  });
});
