// Similar-image search (SimilarityIndex) and the effective rank, on matrices with known answers.
import { beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";
import { effectiveRank, SimilarityIndex } from "../src/eval";
import { symmetricEigenvalues } from "../src/eval/sym-eigenvalues";
import { rng } from "./helpers";

const matrix = (rows: number[][]) => ({ data: Float32Array.from(rows.flat()), shape: [rows.length, rows[0].length] as [number, number] });

describe("SimilarityIndex", () => {
  const index = new SimilarityIndex(matrix([[1, 0], [0, 1], [1, 1], [-1, 0], [2, 0.1]]), ["a", "b", "c", "d", "e"]);

  it("ranks rows by cosine, most similar first, with k and exclusions", () => {
    const r = index.query([3, 0], { k: 3 });
    expect(r.map((x) => x.key)).toEqual(["a", "e", "c"]);
    expect(r[0].similarity).toBeCloseTo(1, 6);
    expect(r[2].similarity).toBeCloseTo(Math.SQRT1_2, 6);
    expect(index.query([3, 0], { k: 2, exclude: (key) => key === "a" }).map((x) => x.key)).toEqual(["e", "c"]);
    expect(index.query([1, 0], { k: 50 })).toHaveLength(5);
    expect(index.neighbours(0, 2).map((x) => x.key)).toEqual(["e", "c"]);
  });

  it("agrees with a brute-force ranking on random data, and names bad input", () => {
    const next = rng(5);
    const rows = Array.from({ length: 300 }, () => Array.from({ length: 16 }, () => next() - 0.5));
    const big = new SimilarityIndex(matrix(rows), rows.map((_, i) => i));
    const q = rows[17].map((v) => v + 0.01);
    const cos = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0) / Math.hypot(...a) / Math.hypot(...b);
    const truth = rows.map((row, i) => ({ i, s: cos(row, q) })).sort((a, b) => b.s - a.s).slice(0, 10);
    const got = big.query(q, { k: 10 });
    expect(got.map((x) => x.key)).toEqual(truth.map((t) => t.i));
    got.forEach((x, j) => expect(x.similarity).toBeCloseTo(truth[j].s, 5));
    expect(() => big.query([1, 2], {})).toThrow("SimilarityIndex.query: the query has 2 values, the index 16");
    expect(() => new SimilarityIndex(matrix([[1]]), ["a", "b"])).toThrow("SimilarityIndex: 2 keys for 1 rows");
  });
});

describe("effectiveRank", () => {
  beforeAll(async () => {
    await setBackend("cpu"); // byol-ts registers no backend on import
  });

  it("is exp of the entropy of the normalized singular values", () => {
    // columns scaled by known singular values on orthonormal directions: σ = 3, 2, 1
    const sigma = [3, 2, 1];
    const rows = [[3, 0, 0, 0], [0, 2, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 0, 0, 0]];
    const p = sigma.map((s) => s / 6);
    expect(effectiveRank(matrix(rows))).toBeCloseTo(Math.exp(-p.reduce((h, x) => h + x * Math.log(x), 0)), 5);
    expect(effectiveRank(matrix([[1, 2], [2, 4], [3, 6]]))).toBeCloseTo(1, 5); // rank one
    expect(effectiveRank(matrix([[0, 0], [0, 0]]))).toBe(0);
  });

  it("finds the eigenvalues of a random symmetric matrix (trace and Frobenius norm kept, known spectrum recovered)", () => {
    const next = rng(9);
    const n = 40;
    // Q diag(λ) Qᵀ with Q from Gram–Schmidt of random vectors
    const q: number[][] = [];
    while (q.length < n) {
      let v = Array.from({ length: n }, () => next() - 0.5);
      for (const u of q) {
        const d = v.reduce((s, x, i) => s + x * u[i], 0);
        v = v.map((x, i) => x - d * u[i]);
      }
      const norm = Math.hypot(...v);
      q.push(v.map((x) => x / norm));
    }
    const lambda = Array.from({ length: n }, (_, i) => (i % 7) - 2 + i / 10);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) a[i * n + j] += q[k][i] * lambda[k] * q[k][j];
    const got = Array.from(symmetricEigenvalues(a, n)).sort((x, y) => x - y);
    const want = [...lambda].sort((x, y) => x - y);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 9));
  });
});
