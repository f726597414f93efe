import { describe, expect, it } from "vitest";
import { batchStream, batchesPerEpoch, chunks, gatherImages, heldOutSplit, shuffledIndices, subset } from "../src/data/batches";
import type { ImageSet } from "../src/data/types";

const take = <T>(g: Generator<T>, k: number): T[] => Array.from({ length: k }, () => g.next().value as T);

describe("shuffledIndices", () => {
  it("is a permutation, reproducible per (seed, epoch) and different across epochs and seeds", () => {
    const a = shuffledIndices(1000, 7, 3);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(shuffledIndices(1000, 7, 3)).toEqual(a);
    expect(shuffledIndices(1000, 7, 4)).not.toEqual(a);
    expect(shuffledIndices(1000, 8, 3)).not.toEqual(a);
    expect(shuffledIndices(0, 1, 0)).toHaveLength(0);
    expect(Array.from(shuffledIndices(1, 1, 0))).toEqual([0]);
  });

  it("moves every position about equally often (no gross bias)", () => {
    const n = 10, trials = 4000;
    const firstCounts = new Array(n).fill(0);
    for (let e = 0; e < trials; e++) firstCounts[shuffledIndices(n, 1, e)[0]]++;
    for (const c of firstCounts) expect(Math.abs(c - trials / n)).toBeLessThan(80); // ±4.2σ
  });
});

describe("batchStream", () => {
  it("drops each epoch's last partial batch and covers every sample at most once per epoch", () => {
    expect(batchesPerEpoch(103, 10)).toBe(10);
    const batches = take(batchStream(103, 10, { seed: 1 }), 20);
    expect(batches.map((b) => [b.epoch, b.batch])).toEqual(Array.from({ length: 20 }, (_, i) => [Math.floor(i / 10), i % 10]));
    const epoch0 = new Set(batches.slice(0, 10).flatMap((b) => Array.from(b.indices)));
    expect(epoch0.size).toBe(100);
    expect(batches[10].indices).not.toEqual(batches[0].indices);
  });

  it("resumes from a recorded position with exactly the batches of an uninterrupted run", () => {
    const straight = take(batchStream(50, 8, { seed: 42 }), 17);
    const resumed = take(batchStream(50, 8, { seed: 42, start: { epoch: straight[9].epoch, batch: straight[9].batch } }), 8);
    expect(resumed).toEqual(straight.slice(9));
    // the end of an epoch is a valid position too
    expect(take(batchStream(50, 8, { seed: 42, start: { epoch: 0, batch: 6 } }), 1)[0]).toEqual(straight[6]);
  });

  it("rejects positions and sizes that make no sense", () => {
    expect(() => batchStream(5, 8, { seed: 0 }).next()).toThrow("batchStream: 5 samples make no full batch of 8");
    expect(() => batchStream(50, 8, { seed: 0, start: { epoch: 0, batch: 7 } }).next()).toThrow("start batch 7 is past the 6 batches");
    expect(() => batchStream(50, 0, { seed: 0 }).next()).toThrow("batchSize must be an integer ≥ 1, got 0");
  });
});

describe("chunks", () => {
  it("covers 0..n-1 in order, keeping the short tail", () => {
    expect(Array.from(chunks(7, 3))).toEqual([[0, 3], [3, 6], [6, 7]]);
    expect(Array.from(chunks(0, 3))).toEqual([]);
  });
});

describe("heldOutSplit", () => {
  it("is a deterministic partition, apart from the training epochs' orders", () => {
    const s = heldOutSplit(1000, 100, 5);
    expect(s.heldOut).toHaveLength(100);
    expect(s.train).toHaveLength(900);
    const all = new Set([...s.heldOut, ...s.train]);
    expect(all.size).toBe(1000);
    expect(heldOutSplit(1000, 100, 5)).toEqual(s);
    expect(heldOutSplit(1000, 100, 6).heldOut).not.toEqual(s.heldOut);
    expect(Array.from(s.heldOut)).toEqual(Array.from(s.heldOut).sort((a, b) => a - b));
    expect(() => heldOutSplit(10, 11, 0)).toThrow("heldOutSplit: cannot hold out 11 of 10 samples");
  });
});

describe("gatherImages and subset", () => {
  const set: ImageSet = {
    images: Uint8Array.from({ length: 5 * 2 * 2 * 3 }, (_, i) => i),
    labels: Uint8Array.from([0, 1, 2, 3, 4]),
    n: 5, height: 2, width: 2, channels: 3, classes: ["a", "b", "c", "d", "e"],
  };

  it("copies the chosen images contiguously, into a reused buffer when given", () => {
    const out = new Uint8Array(2 * 12);
    const got = gatherImages(set, [4, 1], out);
    expect(got).toBe(out);
    expect(Array.from(got)).toEqual([...Array.from({ length: 12 }, (_, i) => 48 + i), ...Array.from({ length: 12 }, (_, i) => 12 + i)]);
    expect(() => gatherImages(set, [5])).toThrow("gatherImages: index 5 is outside 0..4");
    expect(() => gatherImages(set, [0, 1], new Uint8Array(12))).toThrow("output holds 12 bytes, 2 images need 24");
  });

  it("subset keeps labels aligned with images", () => {
    const s = subset(set, Uint32Array.from([3, 0]));
    expect(s.n).toBe(2);
    expect(Array.from(s.labels!)).toEqual([3, 0]);
    expect(s.images[0]).toBe(36);
  });

  it("subset of a heldOutSplit gives disjoint labelled sets that together are the original", () => {
    const split = heldOutSplit(set.n, 2, 9);
    const [train, heldOut] = [subset(set, split.train), subset(set, split.heldOut)];
    expect([train.n, heldOut.n]).toEqual([3, 2]);
    const seen = [...train.labels!, ...heldOut.labels!].sort();
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    // image i starts with byte 12·i, so labels and images still agree
    for (const part of [train, heldOut]) part.labels!.forEach((l, i) => expect(part.images[i * 12]).toBe(12 * l));
  });
});
