// The per-channel pixel statistics a run normalizes with: the training images' own, so a folder of
// X-rays or sketches is not normalized with Fashion-MNIST's or ImageNet's numbers.
import type { ImageSet, StreamedImageSet } from "./types";

/** Per-channel mean and standard deviation on the [0, 1] scale. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

/** Images a streamed set is sampled at (evenly spaced): the statistics settle long before. */
const STREAMED_SAMPLE = 4096;
const CHUNK = 256;

/**
 * Mean and standard deviation of each channel over every pixel of `set` (an even sample of up to
 * 4,096 images when it is streamed from disk), rounded to 3 decimals: enough for normalization,
 * and the same numbers whichever sample or summation order produced them (Fashion-MNIST's are
 * 0.286 / 0.353). A constant channel gets std 1 rather than a division by zero.
 */
export function channelStats(set: ImageSet | StreamedImageSet): ChannelStats {
  const c = set.channels;
  const per = set.height * set.width * c;
  const sum = new Float64Array(c);
  const squares = new Float64Array(c);
  const add = (pixels: Uint8Array, count: number) => {
    for (let i = 0; i < count * per; i++) {
      const v = pixels[i] / 255;
      sum[i % c] += v;
      squares[i % c] += v * v;
    }
  };
  let images = set.n;
  if ("images" in set) add(set.images, set.n);
  else {
    images = Math.min(set.n, STREAMED_SAMPLE);
    const picks = Array.from({ length: images }, (_, i) => Math.floor((i * set.n) / images));
    const buffer = new Uint8Array(CHUNK * per);
    for (let at = 0; at < images; at += CHUNK) {
      const indices = picks.slice(at, at + CHUNK);
      add(set.read(indices, buffer.subarray(0, indices.length * per)), indices.length);
    }
  }
  const count = images * set.height * set.width;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const mean = Array.from(sum, (s) => s / count);
  const std = mean.map((m, k) => Math.sqrt(Math.max(0, squares[k] / count - m * m)));
  return { mean: mean.map(round), std: std.map((s) => (round(s) > 0 ? round(s) : 1)) };
}
