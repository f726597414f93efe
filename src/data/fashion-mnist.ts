// Node: Fashion-MNIST and MNIST from IDX files, found on disk or downloaded into the user cache.
import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { downloadIdx } from "./download";
import { readIdx } from "./read-idx";
import type { LabelledImageSet } from "./types";

/** The datasets stored as IDX files. */
export type IdxDatasetName = "fashion-mnist" | "mnist";
/** The standard train (60,000 images) and test (10,000 images) files. */
export type Split = "train" | "test";

interface IdxDataset {
  title: string;
  classes: string[];
  files: Record<Split, { images: string; labels: string }>;
  /** Base URLs tried in order. */
  mirrors: string[];
  /** SHA-256 of the decompressed files, by file name. */
  sha256?: Record<string, string>;
  /** Where a distribution package installs the files, and the package. */
  system?: { dir: string; package: string };
}

const MNIST_FILES: IdxDataset["files"] = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
};

const DATASETS: Record<IdxDatasetName, IdxDataset> = {
  "fashion-mnist": {
    title: "Fashion-MNIST",
    classes: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
    files: MNIST_FILES,
    mirrors: [
      "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
      "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ],
    // Hashes of the uncompressed IDX bytes: gzip wrappers differ between copies, the content does not.
    sha256: {
      "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
      "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
      "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
      "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    system: { dir: "/usr/share/datasets/fashion-mnist", package: "dataset-fashion-mnist" },
  },
  mnist: {
    title: "MNIST",
    classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    files: MNIST_FILES,
    mirrors: ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"],
    // No SHA-256 recorded: downloads are checked for IDX structure only.
  },
};

/** Options of {@link loadFashionMnist} and {@link loadMnist}. */
export interface LoadIdxDatasetOptions {
  /** A folder holding the IDX files (gzip or raw). When given, only this folder is used. */
  path?: string;
  /** Which files: `train` (default) or `test`. */
  split?: Split;
  /** Keep only the first `limit` images. */
  limit?: number;
  /** Download into the cache when no copy is found (default true). */
  download?: boolean;
  /** Progress bar on stderr while downloading (default: when stderr is a terminal). */
  progress?: boolean;
  /** Cache root (default `$XDG_CACHE_HOME/byol-ts`, else `~/.cache/byol-ts`); the dataset gets a sub-folder. */
  cacheDir?: string;
  /** Base URLs to download from instead of the built-in mirrors. */
  mirrors?: string[];
  /** The distribution package's folder instead of the default, or `false` to skip it. */
  systemDir?: string | false;
}

/** The user cache root: `$XDG_CACHE_HOME/byol-ts`, else `~/.cache/byol-ts`. */
export function defaultCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "byol-ts");
}

/** `dir/name` or `dir/name.gz`, whichever exists (raw first). */
function findFile(dir: string, name: string): string | undefined {
  return [join(dir, name), join(dir, `${name}.gz`)].find((p) => existsSync(p) && statSync(p).isFile());
}

interface Place {
  dir: string;
  label: string;
}

/** Checks one folder; returns the two paths, or why the folder does not qualify. */
function probe(dir: string, files: { images: string; labels: string }): { images: string; labels: string } | string {
  if (!existsSync(dir)) return "no such folder";
  if (!statSync(dir).isDirectory()) return "not a folder";
  const images = findFile(dir, files.images);
  const labels = findFile(dir, files.labels);
  if (images && labels) return { images, labels };
  const missing = [images ? "" : files.images, labels ? "" : files.labels].filter(Boolean);
  return `missing ${missing.map((m) => `${m}[.gz]`).join(" and ")}`;
}

function loadPair(spec: IdxDataset, paths: { images: string; labels: string }, limit?: number): LabelledImageSet {
  const images = readIdx(paths.images);
  const labels = readIdx(paths.labels);
  if (images.shape.length !== 3) {
    throw new Error(`${paths.images}: expected images of 3 dimensions (n×height×width), header says ${images.shape.join("×")}`);
  }
  if (labels.shape.length !== 1) {
    throw new Error(`${paths.labels}: expected labels of 1 dimension, header says ${labels.shape.join("×")}`);
  }
  const [count, height, width] = images.shape;
  if (labels.shape[0] !== count) {
    throw new Error(`image/label count mismatch: ${paths.images} has ${count} images, ${paths.labels} has ${labels.shape[0]} labels`);
  }
  const n = limit === undefined ? count : Math.min(limit, count);
  // A limited set copies its part, so the full decompressed file can be freed.
  const take = (a: Uint8Array, len: number) => (n < count ? a.slice(0, len) : a);
  const labelData = take(labels.data, n);
  const bad = labelData.findIndex((l) => l >= spec.classes.length);
  if (bad >= 0) throw new Error(`${paths.labels}: label ${labelData[bad]} at index ${bad} is outside 0..${spec.classes.length - 1}`);
  return {
    images: take(images.data, n * height * width),
    labels: labelData,
    n,
    height,
    width,
    channels: 1,
    classes: spec.classes.slice(),
  };
}

/**
 * Loads an IDX dataset, searching: the explicit `path` (alone when given), `BYOL_DATA` (the folder
 * or its `<dataset>` sub-folder), the user cache, the distribution package's folder, then a
 * download into the user cache. Errors name every place searched and how to get the data.
 */
export async function loadIdxDataset(name: IdxDatasetName, options: LoadIdxDatasetOptions = {}): Promise<LabelledImageSet> {
  const spec = DATASETS[name];
  const split = options.split ?? "train";
  if (split !== "train" && split !== "test") throw new Error(`${spec.title}: split must be "train" or "test", got ${JSON.stringify(split)}`);
  const { limit } = options;
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new Error(`${spec.title}: limit must be a positive integer, got ${limit}`);
  }
  const files = spec.files[split];
  const wanted = `${files.images}[.gz] and ${files.labels}[.gz]`;

  if (options.path !== undefined) {
    const dir = resolve(options.path);
    const found = probe(dir, files);
    if (typeof found === "string") throw new Error(`${dir}: no ${spec.title} ${split} data here (${found}); expected ${wanted}`);
    return loadPair(spec, found, limit);
  }

  const cache = join(options.cacheDir ?? defaultCacheDir(), name);
  const places: Place[] = [];
  const env = process.env.BYOL_DATA;
  if (env) places.push({ dir: resolve(env), label: "BYOL_DATA" }, { dir: join(resolve(env), name), label: `BYOL_DATA/${name}` });
  places.push({ dir: cache, label: "user cache" });
  const systemDir = options.systemDir ?? spec.system?.dir;
  if (spec.system && systemDir) places.push({ dir: systemDir, label: `Debian's ${spec.system.package}` });

  const searched: string[] = env ? [] : ["BYOL_DATA: not set"];
  for (const place of places) {
    const found = probe(place.dir, files);
    if (typeof found !== "string") return loadPair(spec, found, limit);
    searched.push(`${place.dir} (${place.label}): ${found}`);
  }

  if (options.download ?? true) {
    const failures: string[] = [];
    for (const base of options.mirrors ?? spec.mirrors) {
      try {
        // A file that an earlier mirror delivered stays in the cache and is not fetched again.
        for (const file of [files.images, files.labels]) {
          if (findFile(cache, file)) continue;
          await downloadIdx({ url: base + `${file}.gz`, dir: cache, name: file, sha256: spec.sha256?.[file], progress: options.progress ?? Boolean(process.stderr.isTTY) });
        }
        break;
      } catch (e) {
        failures.push(`download from ${base}: ${(e as Error).message}${causeOf(e)}`);
      }
    }
    const found = probe(cache, files);
    if (typeof found !== "string") return loadPair(spec, found, limit);
    searched.push(...failures);
  } else {
    searched.push("download: disabled");
  }

  const how = [
    spec.system ? `apt-get install ${spec.system.package}` : undefined,
    `put ${wanted} in a folder and set BYOL_DATA to it, or pass that folder as path (--data in the CLI)`,
    `go online once: the files are downloaded into ${cache}`,
  ].filter(Boolean);
  throw new Error(
    `${spec.title} ${split} data not found. Searched:\n${searched.map((s) => `  - ${s}`).join("\n")}\n` +
      `Get the data with one of:\n${how.map((s) => `  - ${s}`).join("\n")}`,
  );
}

// fetch() reports network faults as "fetch failed" with the reason in `cause`.
function causeOf(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return cause ? ` (${cause.code ?? cause.message})` : "";
}

/** Loads Fashion-MNIST (10 clothing classes, 28×28 grey). See {@link loadIdxDataset} for the search order. */
export function loadFashionMnist(options: LoadIdxDatasetOptions = {}): Promise<LabelledImageSet> {
  return loadIdxDataset("fashion-mnist", options);
}

/**
 * Loads MNIST (10 digits, 28×28 grey). See {@link loadIdxDataset}; downloads are checked for IDX
 * structure but not against a hash (none is recorded).
 */
export function loadMnist(options: LoadIdxDatasetOptions = {}): Promise<LabelledImageSet> {
  return loadIdxDataset("mnist", options);
}
