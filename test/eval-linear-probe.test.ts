import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { fitLinearProbe, linearProbeAccuracy, predictLinearProbe, type Matrix } from "../src/eval";
import { readIdx } from "../src/node";
import { randn, rng } from "./helpers";
import { itFull } from "./tier";

/** Gaussian blobs around well separated class centres. */
function blobs(n: number, f: number, classes: number, spread: number, seed: number, centreSeed = seed): { x: Matrix; y: Int32Array } {
  const r = rng(seed);
  const centres = randn(classes * f, centreSeed + 100, 4);
  const noise = randn(n * f, seed + 200, spread);
  const y = Int32Array.from({ length: n }, () => Math.floor(r() * classes));
  const data = noise.map((v, i) => v + centres[y[Math.floor(i / f)] * f + (i % f)] + 3); // +3: standardization must centre
  return { x: { data, shape: [n, f] }, y };
}

/** The same objective minimized by plain float64 gradient descent on standardized data. */
function referenceFit(x: Matrix, y: Int32Array, classes: number, l2: number): Float64Array {
  const [n, f] = x.shape;
  const z = Float64Array.from(x.data);
  for (let j = 0; j < f; j++) {
    let m = 0, v = 0;
    for (let i = 0; i < n; i++) m += z[i * f + j] / n;
    for (let i = 0; i < n; i++) v += (z[i * f + j] - m) ** 2 / n;
    for (let i = 0; i < n; i++) z[i * f + j] = (z[i * f + j] - m) / Math.sqrt(v);
  }
  const w = new Float64Array(f * classes + classes);
  for (let step = 0; step < 20000; step++) {
    const g = new Float64Array(w.length);
    for (let i = 0; i < n; i++) {
      const logits = Array.from({ length: classes }, (_, k) => {
        let s = w[f * classes + k];
        for (let j = 0; j < f; j++) s += z[i * f + j] * w[j * classes + k];
        return s;
      });
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const total = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < classes; k++) {
        const d = e[k] / total - (y[i] === k ? 1 : 0);
        for (let j = 0; j < f; j++) g[j * classes + k] += (d * z[i * f + j]) / n;
        g[f * classes + k] += d / n;
      }
    }
    for (let j = 0; j < f * classes; j++) g[j] += l2 * w[j];
    for (let j = 0; j < w.length; j++) w[j] -= 0.5 * g[j];
  }
  return w;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("linear probe", () => {
  it("matches a float64 gradient-descent reference of the same objective", () => {
    const { x, y } = blobs(80, 4, 3, 3, 1);
    const l2 = 0.05;
    const before = tf.memory().numTensors;
    const probe = fitLinearProbe(x, y, { l2, numClasses: 3, tolerance: 1e-9 });
    expect(tf.memory().numTensors).toBe(before);
    const ref = referenceFit(x, y, 3, l2);
    const ours = [...probe.weights, ...probe.bias];
    // softmax is invariant to adding a constant to every class's bias: compare centred biases
    const centre = (v: number[]) => v.map((b) => b - v.reduce((a, c) => a + c, 0) / v.length);
    const refW = Array.from(ref.subarray(0, 12));
    expect(ours.slice(0, 12).map((v, i) => Math.abs(v - refW[i])).every((d) => d < 2e-3)).toBe(true);
    const [ob, rb] = [centre(ours.slice(12)), centre(Array.from(ref.subarray(12)))];
    ob.forEach((v, i) => expect(Math.abs(v - rb[i])).toBeLessThan(2e-3));
    expect(probe.stopReason).not.toBe("max iterations");
  });

  it("separates linearly separable data perfectly, the same on every run", () => {
    const train = blobs(400, 10, 4, 0.5, 2);
    const test = blobs(200, 10, 4, 0.5, 3, 2); // same centres, fresh samples
    const r = linearProbeAccuracy(train.x, train.y, test.x, test.y, { numClasses: 4 });
    expect(r.trainAccuracy).toBe(1);
    expect(r.accuracy).toBe(1);
    const again = fitLinearProbe(train.x, train.y, { numClasses: 4 });
    expect(again.weights).toEqual(r.probe.weights);
    expect(again.bias).toEqual(r.probe.bias);
    // tensors in give the same probe
    const t = tf.tensor2d(train.x.data, train.x.shape);
    expect(fitLinearProbe(t, train.y, { numClasses: 4 }).weights).toEqual(r.probe.weights);
    t.dispose();
  });

  it("chooses λ from a list on a seeded validation split, then refits on all rows", () => {
    const train = blobs(300, 6, 3, 1.5, 21);
    const probe = fitLinearProbe(train.x, train.y, { l2: [10, 1e-3], numClasses: 3, seed: 4 });
    expect(probe.l2Search!.map((r) => r.l2)).toEqual([10, 1e-3]);
    expect(probe.l2).toBe(1e-3); // λ = 10 flattens the weights far too much here
    expect(probe.l2Search![1].validationAccuracy).toBeGreaterThan(probe.l2Search![0].validationAccuracy);
    // the final probe is the plain fit at the chosen λ, on every row
    const plain = fitLinearProbe(train.x, train.y, { l2: 1e-3, numClasses: 3 });
    expect(probe.weights).toEqual(plain.weights);
    expect(fitLinearProbe(train.x, train.y, { l2: [10, 1e-3], numClasses: 3, seed: 4 }).l2Search).toEqual(probe.l2Search);
    expect(() => fitLinearProbe(train.x, train.y, { l2: [] })).toThrow("linear probe: l2 is an empty list");
    expect(() => fitLinearProbe(train.x, train.y, { l2: [1, 2], validation: 1 })).toThrow("linear probe: validation 1 of 300 rows leaves no rows");
  });

  it("handles constant features and a single class without NaN", () => {
    const x: Matrix = { data: Float32Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 5 : i)), shape: [10, 3] };
    const probe = fitLinearProbe(x, new Array(10).fill(0), { numClasses: 2 });
    expect(probe.std[0]).toBe(1);
    expect(probe.weights.every(Number.isFinite)).toBe(true);
    expect(Array.from(predictLinearProbe(probe, x))).toEqual(new Array(10).fill(0));
  });

  it("names bad input", () => {
    const x: Matrix = { data: new Float32Array(6), shape: [3, 2] };
    expect(() => fitLinearProbe(x, [0, 1])).toThrow("trainLabels: expected 3 labels (one per sample), got 2");
    expect(() => fitLinearProbe({ data: Float32Array.of(1, NaN, 0, 0, 1, 1), shape: [3, 2] }, [0, 1, 0])).toThrow("trainFeatures: row 0 column 1 is NaN");
    expect(() => fitLinearProbe(x, [0, 1, 0], { l2: -1 })).toThrow("linear probe: l2 must be ≥ 0, got -1");
    const probe = fitLinearProbe(x, [0, 1, 0]);
    expect(() => predictLinearProbe(probe, { data: new Float32Array(9), shape: [3, 3] })).toThrow("linear probe: fitted on 2 features, got 3");
  });
});

describe("linear probe on Fashion-MNIST raw pixels (wasm backend)", () => {
  itFull("5k train / 2k test reaches a sane accuracy (full data: 83.5%)", async () => {
    await tf.setBackend("wasm");
    const dir = "/usr/share/datasets/fashion-mnist";
    const pixels = (file: string, n: number): Matrix => ({ data: Float32Array.from(readIdx(join(dir, file)).data.subarray(0, n * 784), (v) => v / 255), shape: [n, 784] });
    const labels = (file: string, n: number) => readIdx(join(dir, file)).data.subarray(0, n);
    const r = linearProbeAccuracy(
      pixels("train-images-idx3-ubyte.gz", 5000), labels("train-labels-idx1-ubyte.gz", 5000),
      pixels("t10k-images-idx3-ubyte.gz", 2000), labels("t10k-labels-idx1-ubyte.gz", 2000), { numClasses: 10 },
    );
    console.log(`linear probe raw pixels 5k/2k: test ${(r.accuracy * 100).toFixed(1)}%, train ${(r.trainAccuracy * 100).toFixed(1)}%, ${r.probe.iterations} iterations (${r.probe.stopReason})`);
    expect(r.accuracy).toBeGreaterThan(0.75);
    await tf.setBackend("cpu");
  });
});
