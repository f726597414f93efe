// Image sets in memory or read on demand, handled alike: a range of their pixels, and a subset of
// the same kind — so evaluation reads a folder too large for memory batch by batch from disk.
import { imageBytes, subset } from "./batches";
import type { ImageSet, StreamedImageSet } from "./types";

/** Images in memory or read on demand. */
export type AnyImageSet = ImageSet | StreamedImageSet;

/** An {@link AnyImageSet} whose labels are present. */
export type LabelledAnyImageSet = AnyImageSet & { labels: Uint8Array };

/**
 * The pixels of images `[start, end)` of `set`, NHWC: a view of an in-memory set, or read into
 * `buffer` (at least `(end - start)` images long) from a streamed one.
 */
export function imageRange(set: AnyImageSet, start: number, end: number, buffer: Uint8Array): Uint8Array {
  const size = imageBytes(set);
  if ("images" in set) return set.images.subarray(start * size, end * size);
  const indices = Array.from({ length: end - start }, (_, i) => start + i);
  return set.read(indices, buffer).subarray(0, (end - start) * size);
}

/**
 * The images at `indices` with their labels: copied, from an in-memory set; from a streamed set, a
 * streamed set reading them from it (nothing read now).
 */
export function select<T extends AnyImageSet>(set: T, indices: ArrayLike<number>): T {
  if ("images" in set) return subset(set as T & ImageSet, indices);
  const picked = Array.from(indices);
  const labels = set.labels && Uint8Array.from(picked, (k) => set.labels![k]);
  const read = (at: ArrayLike<number>, out: Uint8Array) => set.read(Array.from(at, (i) => picked[i]), out);
  return { ...set, n: picked.length, labels, read };
}
