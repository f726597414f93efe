// Seeded data order: one permutation per (seed, epoch), so a run can stop anywhere and resume from
// (epoch, batch) with the same order; a held-out split for evaluation; gathering a batch of images.
import { deriveSeed, uniformGenerator } from "../util/random";
import type { ImageSet } from "./types";

/** A position in the batch stream: the next batch to serve is `batch` of `epoch`. */
export interface BatchPosition {
  epoch: number;
  batch: number;
}

// Data order draws from its own stream of the run's seed, apart from initialization and augmentation.
const DATA_ORDER_STREAM = 0xda7a;

function checkCount(what: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${what} must be an integer ≥ ${min}, got ${v}`);
}

/** The permutation of `0..n-1` for `epoch` under `seed` (Fisher–Yates); the same inputs give the same order. */
export function shuffledIndices(n: number, seed: number, epoch: number): Uint32Array {
  checkCount("n", n, 0);
  const random = uniformGenerator(deriveSeed(deriveSeed(seed, DATA_ORDER_STREAM), epoch));
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  return out;
}

/** Full batches per epoch when the last partial batch is dropped (training). */
export function batchesPerEpoch(n: number, batchSize: number): number {
  checkCount("batchSize", batchSize, 1);
  return Math.floor(n / batchSize);
}

/** Options of {@link batchStream}. */
export interface BatchStreamOptions {
  seed: number;
  /** Where to start (default epoch 0, batch 0): the position a checkpoint recorded. */
  start?: BatchPosition;
}

/** One training batch: the sample indices and where it sits in the stream. */
export interface Batch extends BatchPosition {
  indices: Uint32Array;
}

/**
 * An endless stream of training batches of `batchSize` sample indices, reshuffled each epoch and
 * dropping each epoch's last partial batch. Resuming from a recorded position gives exactly the
 * batches an uninterrupted run would have served.
 */
export function* batchStream(n: number, batchSize: number, options: BatchStreamOptions): Generator<Batch> {
  const perEpoch = batchesPerEpoch(n, batchSize);
  if (perEpoch === 0) throw new Error(`batchStream: ${n} samples make no full batch of ${batchSize}`);
  let { epoch, batch } = options.start ?? { epoch: 0, batch: 0 };
  checkCount("start.epoch", epoch, 0);
  checkCount("start.batch", batch, 0);
  if (batch > perEpoch) throw new Error(`batchStream: start batch ${batch} is past the ${perEpoch} batches of an epoch`);
  for (;;) {
    const order = shuffledIndices(n, options.seed, epoch);
    for (; batch < perEpoch; batch++) yield { epoch, batch, indices: order.subarray(batch * batchSize, (batch + 1) * batchSize) };
    epoch++;
    batch = 0;
  }
}

/** Consecutive index ranges `[start, end)` covering `0..n-1` in order, the last one possibly short (evaluation). */
export function* chunks(n: number, size: number): Generator<[number, number]> {
  checkCount("chunk size", size, 1);
  for (let start = 0; start < n; start += size) yield [start, Math.min(n, start + size)];
}

/** A train / held-out partition of sample indices (both sorted ascending). */
export interface HeldOutSplit {
  train: Uint32Array;
  heldOut: Uint32Array;
}

/**
 * Splits `0..n-1` into a training part and `heldOut` samples chosen at random by `seed`. Train on
 * `train` only and the held-out samples stay unseen, for monitoring with labels (kNN) during
 * training; the standard test file stays for the final numbers.
 */
export function heldOutSplit(n: number, heldOut: number, seed: number): HeldOutSplit {
  checkCount("n", n, 0);
  checkCount("heldOut", heldOut, 0);
  if (heldOut > n) throw new Error(`heldOutSplit: cannot hold out ${heldOut} of ${n} samples`);
  // Epoch −1 keeps this permutation apart from every training epoch's order.
  const order = shuffledIndices(n, seed, -1);
  return { heldOut: order.slice(0, heldOut).sort(), train: order.slice(heldOut).sort() };
}

/** Bytes of one image of `set`. */
export function imageBytes(set: Pick<ImageSet, "height" | "width" | "channels">): number {
  return set.height * set.width * set.channels;
}

/**
 * Copies the images at `indices` into one contiguous NHWC buffer (`out` when given, reused across
 * batches to avoid allocation). Returns the filled buffer.
 */
export function gatherImages(set: ImageSet, indices: ArrayLike<number>, out?: Uint8Array): Uint8Array {
  const size = imageBytes(set);
  const dst = out ?? new Uint8Array(indices.length * size);
  if (dst.length < indices.length * size) throw new Error(`gatherImages: output holds ${dst.length} bytes, ${indices.length} images need ${indices.length * size}`);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!(k >= 0 && k < set.n)) throw new Error(`gatherImages: index ${k} is outside 0..${set.n - 1}`);
    dst.set(set.images.subarray(k * size, (k + 1) * size), i * size);
  }
  return dst;
}

/** A new image set holding copies of the samples at `indices` (and their labels). */
export function subset<T extends ImageSet>(set: T, indices: ArrayLike<number>): T {
  const labels = set.labels && Uint8Array.from(indices, (k) => set.labels![k]);
  return { ...set, n: indices.length, images: gatherImages(set, indices), labels };
}
