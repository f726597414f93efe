// byolLossTensor (src/loss.ts): the kernel and tfjs implementations give the same value and
// gradients on the cpu and wasm backends, stop the gradient at z1, z2, and leak no tensors.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { initKernels } from "../bindings/loader";
import { cosineLoss } from "../bindings/loss";
import { byolLossTensor, normalizedCosineLossTf, type LossImpl } from "../src/loss";
import { randn, relL2 } from "./helpers";

/** Value and gradients w.r.t. all four inputs, as plain arrays (tensors disposed). */
function valueAndGrads(impl: LossImpl, inputs: Float32Array[], B: number, D: number) {
  return tf.tidy(() => {
    const xs = inputs.map((x) => tf.tensor2d(x, [B, D]));
    const f = (q1: tf.Tensor, z2: tf.Tensor, q2: tf.Tensor, z1: tf.Tensor) =>
      byolLossTensor(q1 as tf.Tensor2D, z2 as tf.Tensor2D, q2 as tf.Tensor2D, z1 as tf.Tensor2D, { impl });
    const { value, grads } = tf.valueAndGrads(f)(xs);
    return { value: value.dataSync()[0], grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

/** q1, z2, q2, z1 as random [B, D] data; with `zeroRows`, input k has row k (mod B) zeroed. */
function inputs(B: number, D: number, seed: number, zeroRows = false): Float32Array[] {
  return [0, 1, 2, 3].map((k) => {
    const x = randn(B * D, seed + k);
    if (zeroRows) x.fill(0, (k % B) * D, (k % B + 1) * D);
    return x;
  });
}

/** Relative L2 within 1e-5, or absolutely tiny where the gradient vanishes (D = 1: cos = ±1). */
function expectGradClose(a: Float32Array, b: Float32Array): void {
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  if (diff > 1e-5) expect(relL2(a, b)).toBeLessThan(1e-5);
}

beforeAll(async () => {
  await initKernels();
});

for (const backend of ["cpu", "wasm"] as const) {
  describe(`byolLossTensor on the ${backend} backend`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
    });

    it("kernel and tfjs implementations agree on value and gradients", () => {
      const cases: Array<[number, number, boolean]> = [[1, 1, false], [1, 5, false], [4, 7, false], [8, 64, false], [32, 128, false], [1, 5, true], [6, 7, true]];
      cases.forEach(([B, D, zeroRows], seed) => {
        const xs = inputs(B, D, 10 * seed, zeroRows);
        const kernel = valueAndGrads("kernel", xs, B, D);
        const ops = valueAndGrads("tfjs", xs, B, D);
        expect(Math.abs(kernel.value - ops.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ops.value)));
        expectGradClose(kernel.grads[0], ops.grads[0]);
        expectGradClose(kernel.grads[2], ops.grads[2]);
        for (const k of [1, 3]) {
          expect(kernel.grads[k].every((g) => g === 0)).toBe(true); // z1, z2: stop-gradient
          expect(ops.grads[k].every((g) => g === 0)).toBe(true);
        }
      });
    });

    it("normalizedCosineLossTf gives the kernel's per-row loss, zero rows included", () => {
      const [B, D] = [5, 9];
      const [p, z] = [randn(B * D, 1), randn(B * D, 2)];
      p.fill(0, 0, D);
      z.fill(0, 2 * D, 3 * D);
      const got = tf.tidy(() => normalizedCosineLossTf(tf.tensor2d(p, [B, D]), tf.tensor2d(z, [B, D])).dataSync() as Float32Array);
      expect(relL2(got, cosineLoss(p, z, B, D).perSample)).toBeLessThan(1e-6);
    });

    it("leaks no tensors, with or without gradients", () => {
      const xs = inputs(4, 8, 7);
      const before = tf.memory().numTensors;
      for (const impl of ["kernel", "tfjs"] as const) {
        valueAndGrads(impl, xs, 4, 8);
        const ts = xs.map((x) => tf.tensor2d(x, [4, 8]));
        const loss = byolLossTensor(ts[0], ts[1], ts[2], ts[3], { impl });
        loss.dispose();
        tf.dispose(ts);
      }
      expect(tf.memory().numTensors).toBe(before);
    });

    it("rejects bad inputs by name", () => {
      tf.tidy(() => {
        const a = tf.zeros([2, 3]) as tf.Tensor2D;
        expect(() => byolLossTensor(a, a, a, tf.zeros([2, 4]) as tf.Tensor2D)).toThrow(/z1 has shape \[2,4\] but q1 has \[2,3\]/);
        expect(() => byolLossTensor(a, tf.zeros([6]) as never, a, a)).toThrow(/z2 has shape \[6\], expected \[B, D\]/);
        expect(() => byolLossTensor(a, a, tf.zeros([2, 3], "int32") as tf.Tensor2D, a)).toThrow(/q2 has dtype int32/);
        expect(() => byolLossTensor(a, a, a, a, { impl: "gpu" as never })).toThrow(/impl must be 'kernel' or 'tfjs', got "gpu"/);
        const nan = tf.fill([2, 3], NaN) as tf.Tensor2D;
        expect(() => byolLossTensor(a, nan, a, a)).toThrow(/z2\[0, 0\] is NaN/);
      });
    });
  });
}
