// The moving average on tfjs-wasm's memory (bindings/tfjs-wasm/ema.ts) against the tfjs-ops blend,
// on both kernel builds: sizes around the SIMD width, huge and tiny magnitudes, tensors that share
// data (left untouched), no leaks; a layer computed by tfjs-wasm's XNNPACK operators after a blend
// sees the blended weights (not a packed copy of the old ones); then the learner using it.
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { backendMemory, type WasmBackendLike } from "../bindings/tfjs-wasm/bridge";
import { emaBlendWasm } from "../bindings/tfjs-wasm/ema";
import { setBackend } from "../src/backend";
import { BYOL } from "../src/byol";
import { smallCnn } from "../src/nets/small-cnn";
import { randn } from "./helpers";

const SIZES = [0, 1, 3, 4, 5, 17, 1000, 4099];

/**
 * tfjs ops' blend, the reference, with 1 − τ computed from τ rounded to float32 as the kernel does
 * (with `1 - tau` in float64 instead, results differ by the rounding of τ: ≤ 3e-7 relative).
 */
const opsBlend = (t: tf.Tensor, o: tf.Tensor, tau: number) => tf.tidy(() => tf.add(tf.mul(t, tau), tf.mul(o, 1 - Math.fround(tau))));

/** A variable owning its data alone (tf.variable(x) shares x's data while x lives). */
function ownVariable(data: Float32Array): tf.Variable {
  const x = tf.tensor1d(data);
  const v = tf.variable(x);
  x.dispose();
  return v;
}

/** Bit-for-bit equality of two tensors' values. */
const expectSameBits = (got: tf.Tensor, want: tf.Tensor, what: string) =>
  expect(new Uint32Array((got.dataSync() as Float32Array).slice().buffer), what).toEqual(new Uint32Array((want.dataSync() as Float32Array).slice().buffer));

const memoryBytes = () => backendMemory(tf.backend() as unknown as WasmBackendLike).buffer.byteLength;

afterAll(async () => {
  await setBackend("cpu");
});

describe.each(["simd", "scalar"] as const)("emaBlendWasm on wasm (%s build)", (build) => {
  it("equals the tfjs-ops blend for every size and magnitude, in one call", async () => {
    await setBackend("wasm", { kernelBuild: build });
    for (const [tau, scale] of [[0.99, 1], [0.996, 1e30], [0.5, 1e-30], [0, 1], [1, 1]] as const) {
      const targets = SIZES.map((n, k) => ownVariable(randn(n, 10 + k, scale)));
      const onlines = SIZES.map((n, k) => ownVariable(randn(n, 50 + k, scale)));
      const want = targets.map((t, k) => opsBlend(t, onlines[k], tau));
      const rest = emaBlendWasm(targets.map((t, k) => [t, onlines[k]] as const), tau);
      expect(rest).toEqual([]);
      targets.forEach((t, k) => {
        expectSameBits(t, want[k], `size ${SIZES[k]}, tau ${tau}, scale ${scale}`);
        expect((t.dataSync() as Float32Array).every(Number.isFinite)).toBe(true);
      });
      tf.dispose([...targets, ...onlines, ...want]);
    }
  });

  it("leaves tensors that share a target's data untouched, and refuses mismatched pairs", async () => {
    await setBackend("wasm", { kernelBuild: build });
    const online = tf.tensor1d(randn(10, 1));
    const base = tf.tensor1d(randn(10, 3));
    const variable = tf.variable(base); // shares base's data
    const before = { base: base.dataSync().slice(), online: online.dataSync().slice() };
    const want = opsBlend(variable, online, 0.9);
    const short = tf.variable(tf.zeros([3]));
    const pairs: [tf.Variable, tf.Tensor][] = [[variable, online], [short, online]];
    expect(emaBlendWasm(pairs, 0.9)).toEqual([pairs[1]]);
    expect(Array.from(base.dataSync())).toEqual(Array.from(before.base));
    expect(Array.from(online.dataSync())).toEqual(Array.from(before.online));
    expectSameBits(variable, want, "shared target");
    tf.dispose([online, base, variable, short, want]);
  });

  it("a matMul after the blend uses the blended weights (XNNPACK packs weights per tensor id)", async () => {
    await setBackend("wasm", { kernelBuild: build });
    const x = tf.tensor2d(randn(8 * 64, 1), [8, 64]);
    const w = tf.variable(tf.tensor2d(randn(64 * 32, 2), [64, 32]));
    const o = tf.tensor2d(randn(64 * 32, 3), [64, 32]);
    for (let round = 0; round < 3; round++) {
      tf.dispose(tf.matMul(x, w)); // packs w's current values
      emaBlendWasm([[w, o]], 0.5);
      const got = tf.matMul(x, w);
      const want = tf.matMul(x, tf.tensor2d(w.dataSync().slice(), [64, 32]));
      expectSameBits(got, want, `round ${round}`);
      tf.dispose([got, want]);
    }
    tf.dispose([x, w, o]);
  });

  it("leaks no tensors and no memory over repeated calls", async () => {
    await setBackend("wasm", { kernelBuild: build });
    const targets = SIZES.map((n, k) => ownVariable(randn(n, k)));
    const onlines = SIZES.map((n, k) => tf.tensor1d(randn(n, 20 + k)));
    const pairs = targets.map((t, k) => [t, onlines[k]] as const);
    for (let i = 0; i < 10; i++) emaBlendWasm(pairs, 0.99);
    const tensors = tf.memory().numTensors;
    const bytes = memoryBytes();
    for (let i = 0; i < 200; i++) expect(emaBlendWasm(pairs, 0.99)).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(memoryBytes()).toBe(bytes);
    tf.dispose([...targets, ...onlines]);
  });
});

describe("emaBlendWasm elsewhere and on bad input", () => {
  it("returns every pair untouched on the cpu backend", async () => {
    await setBackend("cpu");
    const t = tf.variable(tf.tensor1d([1, 2]));
    const o = tf.tensor1d([3, 4]);
    expect(emaBlendWasm([[t, o]], 0.5)).toEqual([[t, o]]);
    expect(Array.from(t.dataSync())).toEqual([1, 2]);
    tf.dispose([t, o]);
  });

  it("rejects tau outside [0, 1] or non-finite", () => {
    for (const tau of [-0.1, 1.5, NaN, Infinity]) expect(() => emaBlendWasm([], tau)).toThrow(/tau must be a finite number in \[0, 1\]/);
  });
});

describe("BYOL's moving average on wasm", () => {
  it("matches the tfjs-ops blend of the same weights and leaks nothing", async () => {
    await setBackend("wasm");
    const learner = await BYOL.create({ encoder: smallCnn({ inputSize: 8, channels: 1, width: 4, seed: 1 }), imageSize: 8, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1 });
    const n = learner.networks;
    const pairs = [n.target!.encoder, n.target!.projector].flatMap((m, j) => m.trainableWeights.map((w, i) => [w.read() as tf.Variable, [n.online.encoder!, n.online.projector][j].trainableWeights[i].read()] as const));
    // make target and online differ, then compare one learner blend with the tfjs ops on copies
    for (const [t] of pairs) tf.tidy(() => t.assign(tf.add(t, tf.randomNormal(t.shape, 0, 0.1, "float32", 3))));
    expect(emaBlendWasm(pairs, 1)).toEqual([]);
    for (let round = 0; round < 3; round++) {
      const want = pairs.map(([t, o]) => opsBlend(t, o, 0.9));
      const tensors = tf.memory().numTensors;
      learner.afterStep(0.9);
      expect(tf.memory().numTensors).toBe(tensors);
      pairs.forEach(([t], k) => expectSameBits(t, want[k], `pair ${k}, round ${round}`));
      tf.dispose(want);
    }
    learner.dispose();
  });
});
