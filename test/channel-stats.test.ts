// A run's normalization comes from its own training images: per-channel statistics over every
// pixel (an even sample when streamed), and the config that carries them drives both views and
// `embed`; a config without them keeps the preset's.
import { describe, expect, it } from "vitest";
import { resolveViewPolicy } from "../src/augment/policy";
import { channelStats } from "../src/data/channel-stats";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import type { ImageSet, StreamedImageSet } from "../src/data/types";
import { DEFAULT_RUN } from "../src/train/config";
import { normalizationOf, policyOf } from "../src/train/setup";
import { haveData } from "./cli-run";

/** n images of side s with c channels; channel k of image i is filled by `value(i, k, pixel)`. */
function imageSet(n: number, s: number, c: number, value: (i: number, k: number, p: number) => number): ImageSet {
  const images = new Uint8Array(n * s * s * c);
  for (let i = 0; i < n; i++) for (let p = 0; p < s * s; p++) for (let k = 0; k < c; k++) images[(i * s * s + p) * c + k] = value(i, k, p);
  return { images, n, height: s, width: s, channels: c, classes: [] };
}

/** The same set, read on demand; counts the images read. */
function streamed(set: ImageSet): StreamedImageSet & { reads: number } {
  const per = set.height * set.width * set.channels;
  const s = {
    ...set,
    images: undefined,
    reads: 0,
    read(indices: ArrayLike<number>, out: Uint8Array) {
      for (let j = 0; j < indices.length; j++) out.set(set.images.subarray(indices[j] * per, (indices[j] + 1) * per), j * per);
      s.reads += indices.length;
      return out;
    },
  };
  delete (s as { images?: unknown }).images;
  return s;
}

describe("channelStats", () => {
  it("gives each channel's mean and std over all pixels, to 3 decimals, std 1 for a constant channel", () => {
    // channel 0: pixels 0 and 255 in equal numbers (mean 0.5, std 0.5); channel 1: constant 51 (0.2)
    const set = imageSet(10, 4, 2, (i, k, p) => (k === 0 ? ((i + p) % 2) * 255 : 51));
    expect(channelStats(set)).toEqual({ mean: [0.5, 0.2], std: [0.5, 1] });
  });

  it("samples a large streamed set evenly instead of reading it all, and agrees with the full pass", () => {
    const set = imageSet(10_000, 6, 3, (i, k, p) => (i * 7 + k * 50 + p * 13) % 256);
    const lazy = streamed(set);
    const sampled = channelStats(lazy);
    expect(lazy.reads).toBe(4096);
    const full = channelStats(set);
    sampled.mean.forEach((m, k) => expect(Math.abs(m - full.mean[k])).toBeLessThanOrEqual(0.002));
    sampled.std.forEach((s, k) => expect(Math.abs(s - full.std[k])).toBeLessThanOrEqual(0.002));
  });

  it.skipIf(!haveData)("gives Fashion-MNIST's published statistics on its training set", async () => {
    expect(channelStats(await loadFashionMnist({ split: "train" }))).toEqual({ mean: [0.286], std: [0.353] });
  });
});

describe("a run's normalization", () => {
  const sizes = { channels: 3, inHeight: 16, inWidth: 16, outHeight: 16, outWidth: 16 };
  const stats = { mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6] };

  it("drives both views and embedding when the config carries it", () => {
    const config = { ...DEFAULT_RUN, channels: 3, imageSize: 16, normalization: stats };
    const pair = policyOf(config);
    for (const view of ["view1", "view2"] as const) expect(resolveViewPolicy(view, pair[view], sizes).normalize).toEqual(stats);
    expect(normalizationOf(config)).toEqual(stats);
  });

  it("is the preset's where the config has none (older checkpoints, imported weights)", () => {
    expect(normalizationOf({ ...DEFAULT_RUN, channels: 3, imageSize: 16 })).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(normalizationOf(DEFAULT_RUN)).toEqual({ mean: [0.286], std: [0.353] });
  });
});
