// Normalized-cosine loss kernel (assembly/loss.ts) through its bindings, on both builds: against a
// float64 reference, finite differences, the PyTorch fixture, and on degenerate rows.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { initKernels } from "../bindings/loader";
import { byolLoss, cosineLoss } from "../bindings/loss";
import { readSafetensors } from "../src/io/safetensors";
import { fixturePath, randn, relL2 } from "./helpers";

const EPS = 1e-12; // norm clamp: x / max(‖x‖, 1e-12) = x·rsqrt(max(Σx², 1e-24))

/** Float64 reference: per-row loss, mean, and the gradient of the mean w.r.t. p. */
function reference(p: ArrayLike<number>, z: ArrayLike<number>, B: number, D: number) {
  const perSample = new Float64Array(B);
  const grad = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    let pp = 0;
    let zz = 0;
    let pz = 0;
    for (let i = b * D; i < (b + 1) * D; i++) {
      pp += p[i] * p[i];
      zz += z[i] * z[i];
      pz += p[i] * z[i];
    }
    const rp = 1 / Math.max(Math.sqrt(pp), EPS);
    const rz = 1 / Math.max(Math.sqrt(zz), EPS);
    const cos = pz * rp * rz;
    perSample[b] = 2 - 2 * cos;
    // below the clamp the norm is a constant, so only the ẑ term remains
    const free = Math.sqrt(pp) >= EPS ? 1 : 0;
    for (let i = b * D; i < (b + 1) * D; i++) grad[i] = (-2 * rp * (z[i] * rz - free * cos * p[i] * rp)) / B;
  }
  const mean = perSample.reduce((s, v) => s + v, 0) / B;
  return { perSample, mean, grad };
}

/** Central differences of the float64 reference mean w.r.t. each p element; steps scale with the row. */
function finiteDifferences(p: Float32Array, z: Float32Array, B: number, D: number): Float64Array {
  const x = Float64Array.from(p);
  const out = new Float64Array(B * D);
  for (let b = 0; b < B; b++) {
    const norm = Math.hypot(...x.subarray(b * D, (b + 1) * D));
    // inside the clamp the loss is linear in p: any step that stays inside is exact
    const h = norm >= EPS ? 1e-6 * norm : (EPS - norm) / 10;
    for (let i = b * D; i < (b + 1) * D; i++) {
      const keep = x[i];
      x[i] = keep + h;
      const up = reference(x, z, B, D).mean;
      x[i] = keep - h;
      const down = reference(x, z, B, D).mean;
      x[i] = keep;
      out[i] = (up - down) / (2 * h);
    }
  }
  return out;
}

/** Rows scaled by the given factors (one per row; 0 makes a zero row). */
function rows(B: number, D: number, seed: number, scales: number[]): Float32Array {
  const x = randn(B * D, seed);
  for (let b = 0; b < B; b++) for (let i = b * D; i < (b + 1) * D; i++) x[i] *= scales[b % scales.length];
  return x;
}

function expectClose(got: { perSample: Float32Array; mean: number; grad: Float32Array }, want: ReturnType<typeof reference>, tol: number) {
  expect(relL2(got.perSample, want.perSample)).toBeLessThan(tol);
  expect(Math.abs(got.mean - want.mean) / Math.max(Math.abs(want.mean), 1e-30)).toBeLessThan(tol);
  expect(relL2(got.grad, want.grad)).toBeLessThan(tol);
  expect(got.grad.every(Number.isFinite)).toBe(true);
}

const SHAPES: Array<[number, number]> = [[1, 1], [1, 3], [3, 5], [2, 8], [7, 17], [16, 64], [4, 4 * 64 + 1], [256, 256]];

for (const build of ["simd", "scalar"] as const) {
  describe(`cosine loss kernel (${build} build)`, () => {
    it("matches the float64 reference on random [B, D], D not a multiple of 4 included", async () => {
      await initKernels({ build });
      let seed = 10;
      for (const [B, D] of SHAPES) {
        const p = randn(B * D, seed++);
        const z = randn(B * D, seed++, 0.3);
        expectClose(cosineLoss(p, z, B, D), reference(p, z, B, D), 1e-5);
      }
    });

    it("stays accurate for huge (1e30) and tiny (1e-30) rows, mixed within a batch", async () => {
      await initKernels({ build });
      for (const D of [1, 5, 64, 67]) {
        const B = 6;
        const p = rows(B, D, 1, [1e30, 1e-30, 1, 1e30, 1e-30, 3e19]);
        const z = rows(B, D, 2, [1e30, 1e-30, 1e30, 1e-30, 1, 1e-20]);
        expectClose(cosineLoss(p, z, B, D), reference(p, z, B, D), 1e-5);
      }
    });

    it("zero rows give loss 2, finite gradients, and zero gradient where z is zero", async () => {
      await initKernels({ build });
      const B = 3;
      const D = 9;
      const p = rows(B, D, 3, [0, 1, 0]); // p zero in rows 0 and 2
      const z = rows(B, D, 4, [1, 0, 0]); // z zero in rows 1 and 2
      const got = cosineLoss(p, z, B, D);
      expect(Array.from(got.perSample)).toEqual([2, 2, 2]);
      expect(got.grad.subarray(D).every((g) => g === 0)).toBe(true); // rows 1, 2: z is zero
      // row 0: p = 0 sits inside the clamp, where p̂ = 1e12·p is linear: gradient −2·1e12·ẑ / B
      expectClose(got, reference(p, z, B, D), 1e-5);
    });

    it("gradient agrees with finite differences, inside and outside the norm clamp", async () => {
      await initKernels({ build });
      const B = 5;
      const D = 7;
      const p = rows(B, D, 5, [1, 1e-14, 0, 2, 1e-13]);
      const z = rows(B, D, 6, [1, 1, 1, 0, 1]);
      for (let i = 0; i < D; i++) p[3 * D + i] = 0.5 * z[3 * D + i] + 0.01 * p[3 * D + i]; // nearly parallel row
      const fd = finiteDifferences(p, z, B, D);
      const ref = reference(p, z, B, D);
      expect(relL2(ref.grad, fd)).toBeLessThan(1e-7); // the derivation itself
      expect(relL2(cosineLoss(p, z, B, D).grad, fd)).toBeLessThan(1e-5);
    });

    it("reproduces PyTorch's cosine-loss fixture within 1e-5 relative L2", async () => {
      await initKernels({ build });
      const t = readSafetensors(readFileSync(fixturePath("cosine-loss.safetensors")), "cosine-loss.safetensors");
      const [B, D] = t.pred.shape;
      const got = cosineLoss(t.pred.data as Float32Array, t.target.data as Float32Array, B, D);
      expect(relL2(got.perSample, t["loss.per_sample"].data as Float32Array)).toBeLessThan(1e-5);
      expect(relL2([got.mean], t["loss.mean"].data as Float32Array)).toBeLessThan(1e-5);
      expect(relL2(got.grad, t["grad.pred_of_mean"].data as Float32Array)).toBeLessThan(1e-5);
    });

    it("byolLoss is the sum of the two directions, with each direction's gradient", async () => {
      await initKernels({ build });
      for (const [B, D] of [[1, 1], [3, 5], [16, 64]] as Array<[number, number]>) {
        const [q1, z2, q2, z1] = [1, 2, 3, 4].map((s) => randn(B * D, 50 + s));
        const a = cosineLoss(q1, z2, B, D);
        const b = cosineLoss(q2, z1, B, D);
        const got = byolLoss(q1, z2, q2, z1, B, D);
        expect(got.perSample).toEqual(a.perSample.map((v, i) => Math.fround(v + b.perSample[i])));
        expect(got.loss).toBeCloseTo(a.mean + b.mean, 5);
        expect(got.gradQ1).toEqual(a.grad);
        expect(got.gradQ2).toEqual(b.grad);
      }
    });

    it("rejects bad shapes and non-finite inputs, naming them", async () => {
      await initKernels({ build });
      const x = new Float32Array(6);
      expect(() => cosineLoss(x, x, 0, 6)).toThrow(/B must be an integer ≥ 1, got 0/);
      expect(() => cosineLoss(x, x, 6, 0)).toThrow(/D must be an integer ≥ 1, got 0/);
      expect(() => cosineLoss(x, new Float32Array(5), 2, 3)).toThrow(/z has 5 floats, expected B×D = 2×3 = 6/);
      expect(() => byolLoss(x, x, x, [0] as never, 2, 3)).toThrow(/z1 must be a Float32Array/);
      const bad = randn(6, 1);
      bad[4] = NaN;
      expect(() => cosineLoss(randn(6, 2), bad, 2, 3)).toThrow(/z\[1, 1\] is NaN/);
      bad[4] = 1;
      bad[0] = -Infinity;
      expect(() => byolLoss(randn(6, 3), randn(6, 4), bad, randn(6, 5), 2, 3)).toThrow(/q2\[0, 0\] is -Infinity/);
    });
  });
}

describe("cosine loss builds", () => {
  it("SIMD and scalar builds agree to float32 rounding", async () => {
    const [B, D] = [9, 131];
    const [q1, z2, q2, z1] = [1, 2, 3, 4].map((s) => randn(B * D, 70 + s));
    const results = [];
    for (const build of ["simd", "scalar"] as const) {
      await initKernels({ build });
      results.push(byolLoss(q1, z2, q2, z1, B, D));
    }
    const [simd, scalar] = results;
    expect(relL2(simd.perSample, scalar.perSample)).toBeLessThan(1e-6);
    expect(relL2(simd.gradQ1, scalar.gradQ1)).toBeLessThan(1e-6);
    expect(relL2(simd.gradQ2, scalar.gradQ2)).toBeLessThan(1e-6);
    expect(Math.abs(simd.loss - scalar.loss)).toBeLessThan(1e-6);
  });
});
