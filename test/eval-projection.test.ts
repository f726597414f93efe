import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { pca, umapEmbed, type Matrix } from "../src/eval";
import { randn } from "./helpers";

/** A random orthonormal basis of R^f (columns of the returned row-major f×f matrix). */
function randomRotation(f: number, seed: number): Float64Array {
  const cols = Array.from({ length: f }, (_, c) => Float64Array.from(randn(f, seed + c)));
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < a; b++) {
      const d = cols[a].reduce((s, v, i) => s + v * cols[b][i], 0);
      cols[a] = cols[a].map((v, i) => v - d * cols[b][i]);
    }
    const n = Math.hypot(...cols[a]);
    cols[a] = cols[a].map((v) => v / n);
  }
  const r = new Float64Array(f * f);
  for (let i = 0; i < f; i++) for (let c = 0; c < f; c++) r[i * f + c] = cols[c][i];
  return r;
}

/** Samples x = mean + R · diag(sigma) · z, so the principal axes are R's columns in sigma order. */
function knownAxes(n: number, sigma: number[], seed: number): { x: Matrix; r: Float64Array } {
  const f = sigma.length;
  const r = randomRotation(f, seed);
  const z = randn(n * f, seed + 99);
  const data = new Float32Array(n * f);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < f; i++) {
      let v = 10 + i; // an offset PCA must remove
      for (let c = 0; c < f; c++) v += r[i * f + c] * sigma[c] * z[s * f + c];
      data[s * f + i] = v;
    }
  }
  return { x: { data, shape: [n, f] }, r };
}

/** Sample covariance in float64 (the reference the eigenpairs must satisfy). */
function covariance({ data, shape: [n, f] }: Matrix): Float64Array {
  const mean = new Float64Array(f);
  for (let i = 0; i < n * f; i++) mean[i % f] += data[i] / n;
  const c = new Float64Array(f * f);
  for (let s = 0; s < n; s++) for (let i = 0; i < f; i++) for (let j = 0; j < f; j++) c[i * f + j] += ((data[s * f + i] - mean[i]) * (data[s * f + j] - mean[j])) / (n - 1);
  return c;
}

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("pca", () => {
  it("recovers known principal axes and satisfies C·v = λ·v", () => {
    const sigma = [6, 4, 2.5, 1, 0.7, 0.5, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.02, 0.01];
    const { x, r } = knownAxes(4000, sigma, 7);
    const f = sigma.length;
    const before = tf.memory().numTensors;
    const result = pca(x, 3);
    expect(tf.memory().numTensors).toBe(before);
    const cov = covariance(x);
    for (let c = 0; c < 3; c++) {
      const v = Array.from(result.components.data.subarray(c * f, (c + 1) * f));
      const cosTrue = Math.abs(v.reduce((s, val, i) => s + val * r[i * f + c], 0));
      expect(cosTrue, `component ${c} vs true axis`).toBeGreaterThan(0.995);
      const lambda = result.explainedVariance[c];
      expect(lambda / sigma[c] ** 2).toBeGreaterThan(0.9);
      expect(lambda / sigma[c] ** 2).toBeLessThan(1.1);
      // exact eigenpair of the sample covariance
      const residual = Math.hypot(...Array.from({ length: f }, (_, i) => v.reduce((s, val, j) => s + cov[i * f + j] * val, 0) - lambda * v[i]));
      expect(residual / lambda).toBeLessThan(1e-4);
      // sign convention: the largest entry is positive
      expect(Math.max(...v)).toBeGreaterThanOrEqual(-Math.min(...v));
    }
    expect(result.explainedVariance[0]).toBeGreaterThan(result.explainedVariance[1]);
    const total = sigma.reduce((s, v) => s + v * v, 0);
    expect(result.explainedVarianceRatio[0]).toBeCloseTo(result.explainedVariance[0] / Array.from({ length: f }, (_, i) => cov[i * f + i]).reduce((a, b) => a + b), 6);
    expect(result.explainedVarianceRatio[0]).toBeCloseTo(36 / total, 1);
    // projection = (x − mean) · components
    const row = 17;
    for (let c = 0; c < 3; c++) {
      let p = 0;
      for (let j = 0; j < f; j++) p += (x.data[row * f + j] - result.mean[j]) * result.components.data[c * f + j];
      expect(result.projected.data[row * 3 + c]).toBeCloseTo(p, 3);
    }
    expect(result.projected.shape).toEqual([4000, 3]);
  });

  it("is exact when k + oversampling covers every dimension, and seed-independent", () => {
    const { x, r } = knownAxes(500, [3, 2, 1, 0.5], 3);
    const a = pca(x, 2, { seed: 1 });
    const b = pca(tf.tensor2d(x.data, x.shape), 2, { seed: 2 });
    for (let i = 0; i < a.components.data.length; i++) expect(a.components.data[i]).toBeCloseTo(b.components.data[i], 5);
    const v0 = Array.from(a.components.data.subarray(0, 4));
    expect(Math.abs(v0.reduce((s, v, i) => s + v * r[i * 4], 0))).toBeGreaterThan(0.99);
  });

  it("handles a 512-d representation of rank 5 (most directions empty)", () => {
    const f = 512, n = 300;
    const basis = randn(5 * f, 11);
    const coeff = randn(n * 5, 12);
    const data = new Float32Array(n * f);
    for (let s = 0; s < n; s++) for (let k = 0; k < 5; k++) for (let j = 0; j < f; j++) data[s * f + j] += coeff[s * 5 + k] * basis[k * f + j] * (5 - k);
    const result = pca({ data, shape: [n, f] }, 3);
    expect(result.explainedVarianceRatio.reduce((a, b) => a + b, 0)).toBeGreaterThan(0.8);
    expect(result.projected.data.every(Number.isFinite)).toBe(true);
  });

  it("names bad input", () => {
    const x: Matrix = { data: new Float32Array(6), shape: [3, 2] };
    expect(() => pca(x, 3)).toThrow("pca: k must be an integer in 1..2 (the feature count), got 3");
    expect(() => pca({ data: new Float32Array(2), shape: [1, 2] }, 1)).toThrow("pca: needs at least 2 rows, got 1");
  });
});

describe("umapEmbed", () => {
  const clusters = (n: number): Matrix => {
    const f = 8;
    const noise = randn(n * f, 5, 0.3);
    return { data: noise.map((v, i) => v + (Math.floor(i / f) % 3) * 4), shape: [n, f] };
  };

  it("gives [N, dims], the same for the same seed and different for another", () => {
    const x = clusters(90);
    const a = umapEmbed(x, { dims: 3, seed: 4, nEpochs: 50 });
    expect(a.shape).toEqual([90, 3]);
    expect(a.data.every(Number.isFinite)).toBe(true);
    expect(umapEmbed(x, { dims: 3, seed: 4, nEpochs: 50 }).data).toEqual(a.data);
    expect(umapEmbed(x, { dims: 3, seed: 5, nEpochs: 50 }).data).not.toEqual(a.data);
    expect(umapEmbed(x, { dims: 2, nNeighbors: 200, nEpochs: 20 }).shape).toEqual([90, 2]);
  });

  it("names bad input", () => {
    expect(() => umapEmbed({ data: new Float32Array(4), shape: [2, 2] })).toThrow("umap: needs at least 3 rows, got 2");
    expect(() => umapEmbed(clusters(10), { dims: 0 })).toThrow("umap: dims must be a positive integer, got 0");
  });
});
