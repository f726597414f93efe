import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { zStd, type Matrix } from "../src/eval";
import { randn } from "./helpers";

/** Plain float64 reference: normalize rows, unbiased std of each column, mean over columns. */
function referenceZStd({ data, shape: [n, d] }: Matrix): number {
  const u = Float64Array.from(data);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += u[i * d + j] ** 2;
    const inv = 1 / Math.sqrt(Math.max(s, 1e-24));
    for (let j = 0; j < d; j++) u[i * d + j] *= inv;
  }
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += u[i * d + j] / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (u[i * d + j] - m) ** 2;
    total += Math.sqrt(v / (n - 1));
  }
  return total / d;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("zStd", () => {
  it("matches the float64 reference, on arrays and tensors, without leaking", () => {
    for (const [n, d] of [[2, 1], [7, 3], [256, 64], [33, 5]]) {
      const z: Matrix = { data: randn(n * d, n + d, 3), shape: [n, d] };
      const before = tf.memory().numTensors;
      expect(zStd(z)).toBeCloseTo(referenceZStd(z), 5);
      const t = tf.tensor2d(z.data, z.shape);
      expect(zStd(t)).toBeCloseTo(referenceZStd(z), 5);
      t.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it("is about 1/sqrt(d) for spread-out projections and falls to 0 on collapse", () => {
    const d = 256;
    expect(zStd({ data: randn(1024 * d, 1), shape: [1024, d] })).toBeCloseTo(1 / Math.sqrt(d), 2);
    const same = randn(d, 2);
    const collapsed = new Float32Array(512 * d).map((_, i) => same[i % d] + 1e-3 * Math.sin(i));
    expect(zStd({ data: collapsed, shape: [512, d] })).toBeLessThan(1e-3);
    expect(zStd({ data: new Float32Array(8 * d).map((_, i) => same[i % d]), shape: [8, d] })).toBeCloseTo(0, 6);
  });

  it("names bad input", () => {
    expect(() => zStd({ data: new Float32Array(4), shape: [1, 4] })).toThrow("zStd: needs at least 2 rows to measure spread, got 1");
    expect(() => zStd({ data: Float32Array.of(1, 2, NaN, 4), shape: [2, 2] })).toThrow("z: row 1 column 0 is NaN");
    const t = tf.zeros([2, 2, 2]);
    expect(() => zStd(t as tf.Tensor2D)).toThrow("z: expected a 2-D [N, F] tensor, got shape [2,2,2]");
    t.dispose();
  });
});
