// Node: decoded image sets kept on disk (safetensors: the pixels and labels as tensors, files,
// classes and skipped-file messages as metadata) under a key of the inputs they came from, so a
// second run on the same files reads them back instead of decoding again.
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { parseSafetensors, writeSafetensors } from "../io/safetensors";
import { readBytes } from "./read-idx";
import type { ImageSet } from "./types";
import { writeAtomic } from "./write-atomic";

/** A decoded folder as cached: the set, its files, what was skipped, and which of its size and channels were chosen from the files. */
export interface CachedImages {
  set: ImageSet & { files: string[] };
  skipped: string[];
  auto: { size: boolean; channels: boolean };
}

const FORMAT = "byol-ts/image-cache@1";

/**
 * A key of `files` (names, sizes, modification times) and `options`: the same key and the same
 * output size and channels mean the same decoded images. Files that cannot be stat'ed enter as
 * missing.
 */
export function imageCacheKey(files: string[], options: unknown): string {
  const stamps = files.map((f) => {
    const s = statSync(f, { throwIfNoEntry: false });
    return s ? [f, s.size, Math.round(s.mtimeMs)] : [f, null]; // whole ms: utimes and copies keep no finer time
  });
  return createHash("sha256").update(JSON.stringify({ FORMAT, stamps, options })).digest("hex");
}

/** The cached images at `path` when they were stored under `key`; undefined when absent or stale. Throws on a corrupt file. */
export function readImageCache(path: string, key: string): CachedImages | undefined {
  if (!existsSync(path)) return undefined;
  const { tensors, metadata: m } = parseSafetensors(readBytes(path), path);
  if (m.format !== FORMAT || m.key !== key) return undefined;
  const images = tensors.images?.data;
  if (!(images instanceof Uint8Array)) throw new Error(`${path}: image cache holds no uint8 images`);
  const [n, height, width, channels] = tensors.images.shape;
  const labels = tensors.labels?.data as Uint8Array | undefined;
  const set = { images, labels, n, height, width, channels, classes: JSON.parse(m.classes), files: JSON.parse(m.files) };
  return { set, skipped: JSON.parse(m.skipped), auto: JSON.parse(m.auto) };
}

/** Stores `cached` at `path` under `key` (atomically: a crash leaves the old cache or none). */
export function writeImageCache(path: string, key: string, cached: CachedImages): void {
  const { set, skipped, auto } = cached;
  const tensors = {
    images: { dtype: "U8" as const, shape: [set.n, set.height, set.width, set.channels], data: set.images },
    ...(set.labels ? { labels: { dtype: "U8" as const, shape: [set.n], data: set.labels } } : {}),
  };
  const metadata = { format: FORMAT, key, classes: JSON.stringify(set.classes), files: JSON.stringify(set.files), skipped: JSON.stringify(skipped), auto: JSON.stringify(auto) };
  writeAtomic(path, writeSafetensors(tensors, metadata), "image cache");
}
