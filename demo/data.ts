// Fashion-MNIST in the page: the four IDX .gz files, picked by the user or fetched from the server.
import { parseIdxAsync, type LabelledImageSet } from "../src/io";

/** Fashion-MNIST's class names, by label. */
export const CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/** The standard file names. */
export const FILES = {
  train: { images: "train-images-idx3-ubyte.gz", labels: "train-labels-idx1-ubyte.gz" },
  test: { images: "t10k-images-idx3-ubyte.gz", labels: "t10k-labels-idx1-ubyte.gz" },
} as const;

/** Reads one file's bytes: the picked `File` of that name, else `baseUrl + name`. */
async function bytesOf(name: string, picked: readonly File[], baseUrl: string): Promise<Uint8Array> {
  const file = picked.find((f) => f.name === name || f.name === name.replace(/\.gz$/, ""));
  if (file) return new Uint8Array(await file.arrayBuffer());
  const res = await fetch(baseUrl + name);
  if (!res.ok) throw new Error(`${baseUrl}${name}: HTTP ${res.status} (pick the Fashion-MNIST files instead)`);
  return new Uint8Array(await res.arrayBuffer());
}

/** One split as a labelled image set, its first `limit` images. */
export async function loadSplit(split: keyof typeof FILES, limit: number, picked: readonly File[] = [], baseUrl = "data/"): Promise<LabelledImageSet> {
  const names = FILES[split];
  const [images, labels] = await Promise.all([names.images, names.labels].map(async (n) => parseIdxAsync(await bytesOf(n, picked, baseUrl), n)));
  if (images.shape.length !== 3) throw new Error(`${names.images}: expected [N, H, W] images, got [${images.shape}]`);
  if (labels.shape.length !== 1 || labels.shape[0] !== images.shape[0]) throw new Error(`${names.labels}: ${labels.shape[0]} labels for ${images.shape[0]} images`);
  const [total, height, width] = images.shape;
  const n = Math.min(limit, total);
  return { images: images.data.subarray(0, n * height * width), labels: labels.data.subarray(0, n), n, height, width, channels: 1, classes: CLASSES };
}
