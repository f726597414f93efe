// Node: an image set left on disk (the decoded images of a folder, in its image cache) and read
// image by image — for sets larger than the memory they may take.
import { closeSync, openSync, readSync } from "node:fs";
import { imageBytes } from "./batches";
import type { ImageSet, StreamedImageSet } from "./types";

/** A {@link StreamedImageSet} in a file: `n` images of `height × width × channels` bytes from `offset`. */
export interface DiskImages extends StreamedImageSet {
  path: string;
  offset: number;
  files: string[];
}

/** The set of images in `path` that `fields` describe, reading them with {@link readImagesInto}. */
export function diskImages(fields: Omit<DiskImages, "read">): DiskImages {
  return { ...fields, read: (indices, out) => readImagesInto(fields, indices, out) };
}

/** Reads the images at `indices` of the file `set` describes into `out` (NHWC, in the order of `indices`). */
export function readImagesInto(set: Omit<DiskImages, "read">, indices: ArrayLike<number>, out: Uint8Array): Uint8Array {
  const size = imageBytes(set);
  if (out.length < indices.length * size) throw new RangeError(`readImagesInto: ${out.length} bytes for ${indices.length} images of ${size}`);
  const fd = openSync(set.path, "r");
  try {
    for (let i = 0; i < indices.length; i++) {
      const k = indices[i];
      if (!(Number.isInteger(k) && k >= 0 && k < set.n)) throw new RangeError(`readImagesInto: index ${k} is not an image of ${set.path} [0, ${set.n})`);
      const got = readSync(fd, out, i * size, size, set.offset + k * size);
      if (got !== size) throw new Error(`${set.path}: image ${k} ends after ${got} of ${size} bytes (the file was truncated)`);
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** The images at `indices` read into memory, with their labels and files. */
export function diskSubset(set: DiskImages, indices: ArrayLike<number>): ImageSet & { files: string[] } {
  const { height, width, channels, classes, labels, files } = set;
  return {
    images: set.read(indices, new Uint8Array(indices.length * imageBytes(set))), n: indices.length, height, width, channels, classes,
    labels: labels && Uint8Array.from(indices, (k) => labels[k]), files: Array.from(indices, (k) => files[k]),
  };
}
