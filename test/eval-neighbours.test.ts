// nearestNeighbours against brute force in float64: each row's k most cosine-similar other rows.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { nearestNeighbours } from "../src/eval/neighbours";
import { randn } from "./helpers";

/** The k most similar other rows of row q, in float64 (distinct random rows: no ties). */
function reference(data: Float32Array, n: number, f: number, q: number, k: number): number[] {
  const row = (i: number) => data.subarray(i * f, (i + 1) * f);
  const cos = (a: Float32Array, b: Float32Array) => {
    let [ab, aa, bb] = [0, 0, 0];
    for (let j = 0; j < f; j++) [ab, aa, bb] = [ab + a[j] * b[j], aa + a[j] * a[j], bb + b[j] * b[j]];
    return ab / Math.sqrt(aa * bb);
  };
  return Array.from({ length: n }, (_, i) => i).filter((i) => i !== q).sort((a, b) => cos(row(q), row(b)) - cos(row(q), row(a))).slice(0, k);
}

describe("nearestNeighbours", () => {
  beforeAll(async () => {
    await tf.setBackend("wasm");
  });

  it("lists each row's k most cosine-similar other rows, most similar first", () => {
    const [n, f, k] = [60, 12, 5];
    const data = randn(n * f, 7);
    const got = nearestNeighbours({ data, shape: [n, f] }, k);
    for (let q = 0; q < n; q++) expect(Array.from(got.subarray(q * k, (q + 1) * k)), `row ${q}`).toEqual(reference(data, n, f, q, k));
  });

  it("excludes the row itself even when a duplicate ties with it", () => {
    const data = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 1]); // rows 0 and 1 are the same
    const got = nearestNeighbours({ data, shape: [4, 2] }, 2);
    expect(Array.from(got.subarray(0, 2))).toEqual([1, 3]);
    expect(Array.from(got.subarray(2, 4))).toEqual([0, 3]);
  });

  it("rejects k outside 1..N − 1", () => {
    expect(() => nearestNeighbours({ data: new Float32Array(6), shape: [3, 2] }, 3)).toThrow(/k must be an integer in 1\.\.2 \(N − 1\), got 3/);
  });
});
