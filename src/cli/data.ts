// The images a command works on: Fashion-MNIST or another IDX dataset, or a folder of the user's
// PNG/JPEG images — what training reads, and the labelled train/test pair evaluation scores when
// the data has labels (the IDX files' own split, or a seeded 20% of a class-folder tree).
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { select, type AnyImageSet, type LabelledAnyImageSet } from "../data/any-images";
import { heldOutSplit, imageBytes } from "../data/batches";
import { diskSubset, type DiskImages } from "../data/disk-images";
import { loadFashionMnist } from "../data/fashion-mnist";
import { loadImageFolder, openImageFolder, type ImagePrep } from "../data/image-folder";
import type { ImageSet } from "../data/types";
import { deriveSeed } from "../util/random";
import type { RunConfig } from "../train/config";
import { num } from "./args";
import { say } from "./common";

/** The decoded images of a run's folder, kept in its run directory. */
export const IMAGE_CACHE = "images.cache";

/** MiB of decoded images held in memory by default (a larger folder streams from disk). */
export const DEFAULT_CACHE_MB = 4096;

/** `--cache-mb` of the commands that embed a checkpoint's data (eval, embed, similar). */
export const EMBED_CACHE_FLAG = {
  "cache-mb": { type: "string", value: "M", default: DEFAULT_CACHE_MB, help: "image folders: memory for the decoded images; a larger set is decoded into the run's images.cache (or read from it) and embedded from there batch by batch" },
} as const;

/** The bytes `--cache-mb` allows. */
export const memoryBytesOf = (v: Record<string, unknown>): number => (num(v, "cache-mb", { min: 0.01 }) ?? DEFAULT_CACHE_MB) * 2 ** 20;

/** Share of a labelled folder held out as evaluation queries. */
const HELD_OUT = 0.2;
// The sample of a streamed folder that evaluation reads draws from its own stream of the seed.
const EVAL_SAMPLE_STREAM = 0x45564c;

/** A run's images. */
export interface RunData {
  /** What training reads (never its labels); streamed when `stream` is evaluated whole. */
  train: AnyImageSet;
  /** Labelled bank / probe-training images and the images scored; absent when there are no labels. */
  split?: { train: LabelledAnyImageSet; test: LabelledAnyImageSet };
  /** Image folders: the file of each image of `train`, and how a file became network input. */
  files?: string[];
  prep?: ImagePrep;
  /**
   * A folder whose decoded images exceed `memoryBytes`: training reads them from the run's image
   * cache; `train` (and `split`, `files`) then hold a seeded sample that fits, for evaluation —
   * or, with `evaluateWhole`, the whole set streamed from there too.
   */
  stream?: DiskImages;
}

/** Options of {@link loadRunData}. */
export interface LoadDataOptions {
  /** Overrides the path the config records. */
  path?: string;
  /** Training images (0 = all): IDX keeps the first ones, a folder a sample seeded by the run. */
  limit: number;
  /** IDX test images (0 = all). */
  testLimit?: number;
  /** A folder's image side and channels (default: the data's, see `loadImageFolder`). */
  size?: number;
  channels?: 1 | 3;
  /** The run directory: a folder's decoded images are cached there for the next command. */
  runDir?: string;
  /** With `runDir`: a folder whose decoded images take more bytes than this is streamed from its cache. */
  memoryBytes?: number;
  /** A streamed folder is evaluated whole, read batch by batch (eval, embed, similar), not through a sample that fits. */
  evaluateWhole?: boolean;
}

const isIdxName = (name: string) => /-idx\d-ubyte(\.gz)?$/.test(name);

/** The source `--data PATH` names: an IDX dataset folder when it holds IDX files, else a folder of images. */
export function dataSource(path: string | undefined, fit: "crop" | "pad"): NonNullable<RunConfig["data"]> {
  if (path === undefined) return { format: "idx" };
  const dir = resolve(path);
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    // not readable as a folder: the image loader reports why, naming it
  }
  return names.some(isIdxName) ? { format: "idx", path: dir } : { format: "images", path: dir, fit };
}

/** Loads the images `config.data` names (Fashion-MNIST when it names none). */
export async function loadRunData(config: RunConfig, options: LoadDataOptions): Promise<RunData> {
  const source = options.path !== undefined ? dataSource(options.path, config.data?.fit ?? "crop") : (config.data ?? { format: "idx" });
  if (source.format === "idx") {
    const train = await loadFashionMnist({ path: source.path, split: "train", limit: options.limit || undefined });
    const test = await loadFashionMnist({ path: source.path, split: "test", limit: options.testLimit || undefined });
    say(`data: Fashion-MNIST, ${train.n} training images, ${test.n} test images`);
    return { train, split: { train, test } };
  }
  const folderOptions = {
    size: options.size, channels: options.channels ?? "auto", fit: source.fit, limit: options.limit || undefined, seed: config.seed,
    onWarning: (message: string) => say(`warning: ${message}`), cache: options.runDir && join(options.runDir, IMAGE_CACHE),
  } as const;
  const { cache } = folderOptions;
  const loaded = cache && options.memoryBytes !== undefined ? openImageFolder(source.path!, { ...folderOptions, cache, memoryBytes: options.memoryBytes }) : loadImageFolder(source.path!, folderOptions);
  const stream = "read" in loaded ? loaded : undefined;
  const set = stream && !options.evaluateWhole ? evaluationSample(stream, options.memoryBytes!, config.seed) : loaded;
  const shape = `${set.height}×${set.width}×${set.channels}`;
  const folder = { train: set, files: set.files, stream, prep: { height: set.height, width: set.width, channels: set.channels as 1 | 3, fit: source.fit } };
  // a streamed folder: what it holds, then the sample evaluation reads
  const sampled = stream && set !== stream;
  const what = sampled ? `evaluation: a sample of ${set.n} images` : stream ? "evaluation: all of them" : `data: ${set.n} images (${shape})`;
  if (stream) {
    const mib = (stream.n * imageBytes(stream)) / 2 ** 20;
    say(`data: ${stream.n} images (${shape}) from ${source.path}, ${mib.toFixed(1)} MiB decoded, above --cache-mb ${+(options.memoryBytes! / 2 ** 20).toFixed(2)}: ${options.evaluateWhole ? "embedding" : "training"} streams them from ${cache}`);
  }
  if (!set.labels || set.n < 2) {
    say(`${what}${stream ? "" : ` from ${source.path}`}, unlabelled`);
    return folder;
  }
  const parts = heldOutSplit(set.n, Math.max(1, Math.round(HELD_OUT * set.n)), config.seed);
  say(`${what} in ${set.classes.length} classes${stream ? ":" : ` from ${source.path}; evaluation:`} ${parts.train.length} bank, ${parts.heldOut.length} held out`);
  return { ...folder, split: { train: select(set, parts.train) as LabelledAnyImageSet, test: select(set, parts.heldOut) as LabelledAnyImageSet } };
}

/** A seeded sample of a streamed set, read into memory: as many images as `memoryBytes` holds (at least 2). */
function evaluationSample(stream: DiskImages, memoryBytes: number, seed: number): ImageSet & { files: string[] } {
  const n = Math.min(stream.n, Math.max(2, Math.floor(memoryBytes / imageBytes(stream))));
  return diskSubset(stream, heldOutSplit(stream.n, n, deriveSeed(seed, EVAL_SAMPLE_STREAM)).heldOut);
}
