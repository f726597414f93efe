import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { knnAccuracy, knnPredict, type Matrix } from "../src/eval";
import { readIdx } from "../src/node";
import { randn, rng } from "./helpers";

/** Brute-force kNN in float64: cosine similarity, top k (ties by lower index), weights exp(sim / T). */
function referenceKnn(train: Matrix, labels: ArrayLike<number>, test: Matrix, k: number, T: number, classes: number): number[] {
  const [n, f] = train.shape;
  const norm = (m: Matrix, r: number) => Math.sqrt(Math.max(m.data.subarray(r * f, (r + 1) * f).reduce((s, v) => s + v * v, 0), 1e-24));
  const out: number[] = [];
  for (let q = 0; q < test.shape[0]; q++) {
    const sims = Array.from({ length: n }, (_, i) => {
      let dot = 0;
      for (let j = 0; j < f; j++) dot += test.data[q * f + j] * train.data[i * f + j];
      return { i, s: dot / (norm(test, q) * norm(train, i)) };
    });
    sims.sort((a, b) => b.s - a.s || a.i - b.i);
    const votes = new Array(classes).fill(0);
    for (const { i, s } of sims.slice(0, k)) votes[labels[i]] += Math.exp(s / T);
    out.push(votes.indexOf(Math.max(...votes)));
  }
  return out;
}

function randomProblem(n: number, m: number, f: number, classes: number, seed: number) {
  // class-dependent means so that the vote is informative but not unanimous
  const centres = randn(classes * f, seed + 1, 1);
  const r = rng(seed);
  const make = (rows: number, s: number): { x: Matrix; y: Uint8Array } => {
    const y = Uint8Array.from({ length: rows }, () => Math.floor(r() * classes));
    const noise = randn(rows * f, s, 1.5);
    const data = noise.map((v, i) => v + centres[y[Math.floor(i / f)] * f + (i % f)]);
    return { x: { data, shape: [rows, f] }, y };
  };
  const train = make(n, seed + 2);
  const test = make(m, seed + 3);
  return { train, test };
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("knnPredict vs a brute-force reference", () => {
  for (const [n, m, f, classes, k, T, chunk] of [
    [300, 60, 16, 5, 20, 0.1, undefined],
    [250, 33, 7, 3, 200, 0.1, 7],
    [40, 10, 5, 4, 200, 0.07, undefined], // k > bank: all vote
    [120, 25, 9, 6, 1, 0.1, 4], // 1-NN
    [200, 30, 12, 4, 50, 0.01, undefined], // exp(sim / T) would overflow float32 without the shift
  ] as const) {
    it(`n ${n}, f ${f}, k ${k}, T ${T}, chunk ${chunk ?? "auto"}`, () => {
      const { train, test } = randomProblem(n, m, f, classes, n + f);
      const ref = referenceKnn(train.x, train.y, test.x, k, T, classes);
      const before = tf.memory().numTensors;
      const ours = knnPredict(train.x, train.y, test.x, { k, temperature: T, numClasses: classes, chunkSize: chunk });
      expect(tf.memory().numTensors).toBe(before);
      expect(Array.from(ours)).toEqual(ref);
      // tensors in, same answer, caller's tensors untouched
      const [a, b] = [tf.tensor2d(train.x.data, train.x.shape), tf.tensor2d(test.x.data, test.x.shape)];
      expect(Array.from(knnPredict(a, train.y, b, { k, temperature: T, numClasses: classes, chunkSize: chunk }))).toEqual(ref);
      expect(a.isDisposed || b.isDisposed).toBe(false);
      tf.dispose([a, b]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("gives accuracy as a fraction", () => {
    const { train, test } = randomProblem(200, 50, 8, 3, 9);
    const pred = knnPredict(train.x, train.y, test.x, { k: 10 });
    const acc = knnAccuracy(train.x, train.y, test.x, test.y, { k: 10 });
    expect(acc).toBeCloseTo(pred.filter((p, i) => p === test.y[i]).length / 50, 12);
    expect(acc).toBeGreaterThan(0.5);
  });
});

describe("knn bad input", () => {
  const x: Matrix = { data: new Float32Array(12).fill(1), shape: [4, 3] };
  const y = [0, 1, 0, 1];
  it("names the argument and the fault", () => {
    expect(() => knnPredict(x, y, { data: new Float32Array(4), shape: [2, 2] })).toThrow("knn: trainFeatures have 3 columns, testFeatures 2");
    expect(() => knnPredict(x, [0, 1], x)).toThrow("trainLabels: expected 4 labels (one per sample), got 2");
    expect(() => knnPredict(x, [0, 1, 2.5, 0], x)).toThrow("trainLabels: label 2.5 at index 2 is not a class index");
    expect(() => knnPredict(x, [0, 1, 5, 0], x, { numClasses: 2 })).toThrow("trainLabels: label 5 at index 2 is not a class index in 0..1");
    const nan = { data: new Float32Array(12).fill(1), shape: [4, 3] as [number, number] };
    nan.data[7] = NaN;
    expect(() => knnPredict(x, y, nan)).toThrow("testFeatures: row 2 column 1 is NaN");
    const inf = tf.tensor2d([[1, Infinity, 0]]);
    expect(() => knnPredict(x, y, inf)).toThrow("testFeatures: row 0 column 1 is Infinity");
    inf.dispose();
    expect(() => knnPredict({ data: new Float32Array(5), shape: [2, 3] }, y, x)).toThrow("trainFeatures: 5 values do not fill shape [2,3]");
    expect(() => knnPredict({ data: new Float32Array(0), shape: [0, 3] }, [], x)).toThrow("knn: the bank (trainFeatures) is empty");
    expect(() => knnPredict(x, y, x, { k: 0 })).toThrow("knn: k must be a positive integer, got 0");
    expect(() => knnPredict(x, y, x, { temperature: 0 })).toThrow("knn: temperature must be > 0, got 0");
    expect(() => knnAccuracy(x, y, x, [0])).toThrow("testLabels: expected 4 labels (one per sample), got 1");
  });
});

describe("knnPredict on the wasm backend", () => {
  it("takes tensors there and agrees with the reference", async () => {
    const { train, test } = randomProblem(300, 40, 16, 5, 77);
    const ref = referenceKnn(train.x, train.y, test.x, 30, 0.1, 5);
    await tf.setBackend("wasm");
    try {
      const [a, b] = [tf.tensor2d(train.x.data, train.x.shape), tf.tensor2d(test.x.data, test.x.shape)];
      const before = tf.memory().numTensors;
      expect(Array.from(knnPredict(a, train.y, b, { k: 30, numClasses: 5, chunkSize: 16 }))).toEqual(ref);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([a, b]);
    } finally {
      await tf.setBackend("cpu");
    }
  });
});

describe("kNN on Fashion-MNIST raw pixels (wasm backend)", () => {
  it("a 10k bank classifies 1k test images sensibly (full data: 79%)", async () => {
    await tf.setBackend("wasm");
    const dir = "/usr/share/datasets/fashion-mnist";
    const asFeatures = (images: Uint8Array, n: number): Matrix => ({ data: Float32Array.from(images.subarray(0, n * 784), (v) => v / 255), shape: [n, 784] });
    const trainImages = readIdx(join(dir, "train-images-idx3-ubyte.gz")).data;
    const trainLabels = readIdx(join(dir, "train-labels-idx1-ubyte.gz")).data;
    const testImages = readIdx(join(dir, "t10k-images-idx3-ubyte.gz")).data;
    const testLabels = readIdx(join(dir, "t10k-labels-idx1-ubyte.gz")).data;
    const acc = knnAccuracy(asFeatures(trainImages, 10000), trainLabels.subarray(0, 10000), asFeatures(testImages, 1000), testLabels.subarray(0, 1000), { numClasses: 10 });
    console.log(`kNN raw pixels, 10k bank / 1k test: ${(acc * 100).toFixed(1)}%`);
    expect(acc).toBeGreaterThan(0.7); // 73.9% measured here
    expect(acc).toBeLessThan(0.8);
    await tf.setBackend("cpu");
  });
});
