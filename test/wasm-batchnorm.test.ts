// Training-mode BatchNorm as byol-ts' two wasm kernels (forward, gradient), reached through
// normalizeBatch: values, batch statistics and gradients against a float64 reference, on each
// kernel build, for channel counts around the SIMD width, with and without γ and β, and for
// inputs whose mean dwarfs their spread (where a one-pass variance would lose every digit).
import * as tf from "@tensorflow/tfjs";
import { afterAll, describe, expect, it } from "vitest";
import { BATCH_NORM_GRAD, BATCH_NORM_TRAIN } from "../bindings/tfjs-wasm/batchnorm";
import { setBackend } from "../src/backend";
import { normalizeBatch } from "../src/nets/batchnorm";
import { randn } from "./helpers";

afterAll(async () => {
  await setBackend("cpu");
});

const EPS = 1e-5;

/** y, mean, biased variance and the gradients of Σ y·dy, in float64, over [rows, c]. */
function reference(x: Float32Array, dy: Float32Array, gamma: Float32Array | null, beta: Float32Array | null, c: number) {
  const rows = x.length / c;
  const out = { y: new Float64Array(x.length), dx: new Float64Array(x.length), mean: new Float64Array(c), variance: new Float64Array(c), dGamma: new Float64Array(c), dBeta: new Float64Array(c) };
  for (let ch = 0; ch < c; ch++) {
    let m = 0;
    for (let r = 0; r < rows; r++) m += x[r * c + ch];
    m /= rows;
    let v = 0;
    for (let r = 0; r < rows; r++) v += (x[r * c + ch] - m) ** 2;
    v /= rows;
    const inv = 1 / Math.sqrt(v + EPS);
    const g = gamma ? gamma[ch] : 1;
    let sdy = 0, sdyx = 0;
    for (let r = 0; r < rows; r++) {
      const i = r * c + ch;
      const xhat = (x[i] - m) * inv;
      out.y[i] = xhat * g + (beta ? beta[ch] : 0);
      sdy += dy[i];
      sdyx += dy[i] * xhat;
    }
    for (let r = 0; r < rows; r++) {
      const i = r * c + ch;
      const xhat = (x[i] - m) * inv;
      out.dx[i] = (g * inv / rows) * (rows * dy[i] - sdy - xhat * sdyx);
    }
    out.mean[ch] = m;
    out.variance[ch] = v;
    out.dGamma[ch] = sdyx;
    out.dBeta[ch] = sdy;
  }
  return out;
}

/** Largest |a − b| / (scale + |b|) over the arrays. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>, scale = 1): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (scale + Math.abs(b[i])));
  return worst;
}

const cases: Array<[string, number[], boolean, boolean]> = [
  ["[64, 5, 5, 16] with γ and β", [64, 5, 5, 16], true, true],
  ["[2, 3] (a tail of 3 channels, 2 rows)", [2, 3], true, true],
  ["[9, 2, 3, 7] without γ and β", [9, 2, 3, 7], false, false],
  ["[33, 4, 4, 5] with γ only", [33, 4, 4, 5], true, false],
  ["[300, 1] (one channel, several blocks)", [300, 1], false, true],
  ["[16, 1024] (BatchNorm1d in a head)", [16, 1024], true, true],
];

describe.each(["relaxed-simd", "simd", "scalar"] as const)("BatchNorm kernels (%s build)", (build) => {
  it.each(cases)("%s: y, statistics and gradients match float64", async (_, shape, hasGamma, hasBeta) => {
    await setBackend("wasm", { kernelBuild: build });
    const size = shape.reduce((a, b) => a * b);
    const c = shape[shape.length - 1];
    const x = randn(size, size + c).map((v, i) => 2 * v + ((i % c) % 8) - 1); // channel means −1 … 6
    const dy = randn(size, 3 * size + 1);
    const gamma = hasGamma ? randn(c, c + 7) : null;
    const beta = hasBeta ? randn(c, c + 9) : null;
    const want = reference(x, dy, gamma, beta, c);

    const tensors: tf.Tensor[] = [];
    let stats: number[][] = [];
    const profile = await tf.profile(() => {
      const xs = tf.tensor(x, shape);
      const g = gamma ? tf.tensor1d(gamma) : null;
      const b = beta ? tf.tensor1d(beta) : null;
      const dyt = tf.tensor(dy, shape);
      const inputs = [xs, ...(g ? [g] : []), ...(b ? [b] : [])];
      const f = (...t: tf.Tensor[]) => tf.sum(tf.mul(normalizeBatch(t[0], g ? t[1] : null, b ? t[inputs.length - 1] : null, EPS, (m, v) => {
        stats = [Array.from(m.dataSync()), Array.from(v.dataSync())];
      }), dyt));
      tensors.push(normalizeBatch(xs, g, b, EPS), ...tf.grads(f)(inputs));
      tf.dispose([xs, dyt, ...(g ? [g] : []), ...(b ? [b] : [])]);
    });
    const names = profile.kernels.map((k) => k.name);
    expect(names).toContain(BATCH_NORM_TRAIN);
    expect(names).toContain(BATCH_NORM_GRAD);
    const [y, dx, ...rest] = await Promise.all(tensors.map((t) => t.data()));
    expect(relError(y, want.y)).toBeLessThan(2e-6);
    expect(relError(stats[0], want.mean)).toBeLessThan(1e-6);
    expect(relError(stats[1], want.variance)).toBeLessThan(1e-6);
    // dx is O(1) here, and exactly 0 for 2 rows (two normalized values are ±1 whatever x is)
    expect(relError(dx, want.dx)).toBeLessThan(1e-6);
    // dγ and dβ sum `rows` terms of size ~1: errors scale with √rows
    const sumScale = Math.sqrt(size / c);
    if (gamma) expect(relError(rest[0], want.dGamma, sumScale)).toBeLessThan(1e-6);
    if (beta) expect(relError(rest[gamma ? 1 : 0], want.dBeta, sumScale)).toBeLessThan(1e-6);
    tf.dispose(tensors);
  });
});

describe("BatchNorm kernels: precision and fall-back", () => {
  it("keep the variance of an input whose mean is 10⁴ times its spread", async () => {
    await setBackend("wasm");
    const [rows, c] = [64 * 28 * 28, 4];
    const x = randn(rows * c, 5).map((v) => 1000 + 0.1 * v);
    const want = reference(x, new Float32Array(x.length), null, null, c);
    let variance: Float32Array = new Float32Array();
    tf.tidy(() => {
      normalizeBatch(tf.tensor2d(x, [rows, c]), null, null, EPS, (_, v) => {
        variance = v.dataSync() as Float32Array;
      });
    });
    // x itself is rounded to float32 (ulp 6e-5 at 1000): that bounds the variance's accuracy
    expect(relError(variance, want.variance)).toBeLessThan(1e-3);
  });

  it("run as tfjs ops where the kernels are not registered (cpu), with the same numbers", async () => {
    const shape = [8, 3, 3, 6];
    const x = randn(shape.reduce((a, b) => a * b), 11);
    const gamma = randn(6, 12);
    const value = async (backend: "wasm" | "cpu") => {
      await setBackend(backend);
      const profile = await tf.profile(() => normalizeBatch(tf.tensor(x, shape), tf.tensor1d(gamma), null, EPS));
      const y = profile.result as tf.Tensor;
      const data = await y.data();
      y.dispose();
      return { data, names: profile.kernels.map((k) => k.name) };
    };
    const [wasm, cpu] = [await value("wasm"), await value("cpu")];
    expect(wasm.names).toContain(BATCH_NORM_TRAIN);
    expect(cpu.names).not.toContain(BATCH_NORM_TRAIN);
    expect(relError(wasm.data, cpu.data)).toBeLessThan(2e-6);
  });

  it("name the tensor whose shape is wrong", async () => {
    await setBackend("wasm");
    expect(() => tf.tidy(() => tf.engine().runKernel(BATCH_NORM_TRAIN, { x: tf.zeros([4, 3]), gamma: tf.ones([2]) }, { epsilon: EPS })))
      .toThrow(/gamma has shape \[2\], expected \[3\]/);
  });
});
