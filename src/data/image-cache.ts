// Node: decoded image sets kept on disk (safetensors: the pixels and labels as tensors, files,
// classes and skipped-file messages as metadata) under a key of the inputs they came from, so a
// second run on the same files reads them back instead of decoding again.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import { MAX_HEADER, parseSafetensorsHeader, safetensorsHeader, type SafeTensorLayout } from "../io/safetensors";
import { imageBytes } from "./batches";
import { diskImages, type DiskImages } from "./disk-images";
import type { ImageSet } from "./types";
import { writeAll, writeAtomicWith } from "./write-atomic";

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

/** A decoded folder left in its cache file (see {@link openImageCache}). */
export interface CachedOnDisk {
  set: DiskImages;
  skipped: string[];
  auto: { size: boolean; channels: boolean };
}

/** Bytes read first: the whole header of a cache of some ten thousand files (a longer header is read again, whole). */
const HEAD_GUESS = 1 << 20;

/** Reads `length` bytes at `position` of `fd` (fewer at the end of the file). */
function readAt(fd: number, length: number, position: number): Uint8Array {
  const out = new Uint8Array(length);
  let got = 0;
  for (let n; got < length && (n = readSync(fd, out, got, length - got, position + got)) > 0; ) got += n;
  return out.subarray(0, got);
}

/**
 * The cached images at `path` when they were stored under `key`, left in the file (its header and
 * labels read, not its pixels); undefined when absent or stale. Throws on a corrupt file.
 */
export function openImageCache(path: string, key: string): CachedOnDisk | undefined {
  if (!existsSync(path)) return undefined;
  const fd = openSync(path, "r");
  try {
    const length = fstatSync(fd).size;
    let head = readAt(fd, HEAD_GUESS, 0);
    const headerEnd = head.length >= 8 ? 8 + Number(new DataView(head.buffer, head.byteOffset).getBigUint64(0, true)) : 0;
    // a longer header is read whole, unless it claims more than a header or the file may hold (then refused below)
    if (headerEnd > head.length && headerEnd <= Math.min(length, 8 + MAX_HEADER)) head = readAt(fd, headerEnd, 0);
    const { entries, metadata: m } = parseSafetensorsHeader(head, length, path);
    if (m.format !== FORMAT || m.key !== key) return undefined;
    const images = entries.images;
    if (images?.dtype !== "U8" || images.shape.length !== 4) throw new Error(`${path}: image cache holds no uint8 images`);
    const [n, height, width, channels] = images.shape;
    const labels = entries.labels && readAt(fd, entries.labels.end - entries.labels.begin, entries.labels.begin);
    const set = diskImages({ path, offset: images.begin, labels, n, height, width, channels, classes: JSON.parse(m.classes), files: JSON.parse(m.files) });
    return { set, skipped: JSON.parse(m.skipped), auto: JSON.parse(m.auto) };
  } finally {
    closeSync(fd);
  }
}

/** The cached images at `path` when they were stored under `key`, read into memory; undefined when absent or stale. Throws on a corrupt file. */
export function readImageCache(path: string, key: string): CachedImages | undefined {
  const hit = openImageCache(path, key);
  if (!hit) return undefined;
  const { n, height, width, channels, labels, classes, files, offset } = hit.set;
  const fd = openSync(path, "r");
  try {
    return { ...hit, set: { images: readAt(fd, n * imageBytes(hit.set), offset), n, height, width, channels, labels, classes, files } };
  } finally {
    closeSync(fd);
  }
}

/** The cache's metadata of a decoded folder. */
function metadataOf(key: string, set: Omit<ImageSet, "images"> & { files: string[] }, skipped: string[], auto: CachedImages["auto"]): Record<string, string> {
  return { format: FORMAT, key, classes: JSON.stringify(set.classes), files: JSON.stringify(set.files), skipped: JSON.stringify(skipped), auto: JSON.stringify(auto) };
}

/** The cache's tensors: the images, then the labels if any. */
function layoutOf(set: Omit<ImageSet, "images">): Record<string, SafeTensorLayout> {
  return {
    images: { dtype: "U8", shape: [set.n, set.height, set.width, set.channels], byteLength: set.n * imageBytes(set) },
    ...(set.labels ? { labels: { dtype: "U8" as const, shape: [set.n], byteLength: set.n } } : {}),
  };
}

/** Stores `cached` at `path` under `key` (atomically: a crash leaves the old cache or none). */
export function writeImageCache(path: string, key: string, cached: CachedImages): void {
  const { set, skipped, auto } = cached;
  writeAtomicWith(path, (fd) => {
    writeAll(fd, safetensorsHeader(layoutOf(set), metadataOf(key, set, skipped, auto)));
    writeAll(fd, set.images);
    if (set.labels) writeAll(fd, set.labels);
  }, "image cache");
}

/** Copy buffer of {@link writeImageCacheFrom}. */
const CHUNK = 1 << 20;

/**
 * Stores a set whose images were decoded into the file `pixels` (back to back, `n` of them) at
 * `path` under `key`, copying them in chunks, so they are never all in memory (atomically).
 */
export function writeImageCacheFrom(path: string, key: string, cached: { set: Omit<DiskImages, "offset" | "path" | "read">; skipped: string[]; auto: CachedOnDisk["auto"] }, pixels: string): void {
  const { set, skipped, auto } = cached;
  const src = openSync(pixels, "r");
  try {
    writeAtomicWith(path, (fd) => {
      writeAll(fd, safetensorsHeader(layoutOf(set), metadataOf(key, set, skipped, auto)));
      const total = set.n * imageBytes(set);
      for (let done = 0; done < total; ) {
        const chunk = readAt(src, Math.min(CHUNK, total - done), done);
        if (chunk.length === 0) throw new Error(`${pixels}: ends after ${done} of ${total} bytes`);
        writeAll(fd, chunk);
        done += chunk.length;
      }
      if (set.labels) writeAll(fd, set.labels);
    }, "image cache");
  } finally {
    closeSync(src);
  }
}
