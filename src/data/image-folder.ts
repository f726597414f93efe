// Node: a folder of PNG/JPEG images, made square and resized to one size, optionally labelled by
// class sub-folders — in memory, or, when larger than memory may hold, in its cache file.
import { readdirSync, realpathSync, rmSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { heldOutSplit, imageBytes } from "./batches";
import { decodeImageFile, MAX_IMAGE_PIXELS, readImageFileHeader } from "./decode-image";
import { fitSquare, type SquareFit } from "./fit-square";
import type { DiskImages } from "./disk-images";
import { imageCacheKey, openImageCache, readImageCache, writeImageCache, writeImageCacheFrom, type CachedOnDisk } from "./image-cache";
import type { ImageHeader } from "./image-header";
import { fileSink, memorySink } from "./image-sink";
import { checkChannels, parseSize, rgbaInto } from "./rgba";
import type { ImageSet } from "./types";
import { deriveSeed } from "../util/random";

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /**
   * Output size: one number for square images, or `[height, width]`. Default: the images' own
   * size (after `fit`) when they all share it, else 64.
   */
  size?: number | [number, number];
  /** 1 (grey, ITU-R 601 luma) or 3 (RGB, the default); `auto`: 1 when every file stores grey. Alpha is dropped. */
  channels?: 1 | 3 | "auto";
  /** Make each image square first: `crop` its centre or `pad` it with black (default: neither, stretch to `size`). */
  fit?: SquareFit;
  /** Load a random sample of `limit` files (drawn by `seed`; kept in sorted order). */
  limit?: number;
  /** Seed of the `limit` sample (default 0). */
  seed?: number;
  /**
   * Called with a one-line message for each file that cannot be used (unreadable, corrupt, too
   * large, unsupported), for symlink loops and cache faults; the file is skipped. Without it the
   * first unusable file throws.
   */
  onWarning?: (message: string) => void;
  /** Files whose header claims more pixels are refused unread (default {@link MAX_IMAGE_PIXELS}). */
  maxPixels?: number;
  /**
   * A file to keep the decoded images in: read back instead of decoding when it holds the same
   * files (names, sizes, modification times) loaded with the same options, else written after
   * decoding. A corrupt or unwritable cache is reported to `onWarning` and bypassed.
   */
  cache?: string;
}

/** An {@link ImageSet} from a folder, with the file each image came from. */
export interface ImageFolderSet extends ImageSet {
  files: string[];
}

/** Default side when the images differ in size. */
const DEFAULT_SIDE = 64;
/** Decoded bytes a set may take (a folder of same-size photos is loaded at their own size by default). */
const MAX_SET_BYTES = 4 * 2 ** 30;
// The --limit sample draws from its own stream of the seed, apart from data order and splits.
const SAMPLE_STREAM = 0x5a4e;

// WebP is listed so that such files are reported by name rather than silently ignored.
const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".webp"]);
const isImageName = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());

/** What a folder holds: image files and sub-folders (sorted, hidden entries left out). */
interface Listing {
  images: string[];
  folders: string[];
}

function listFolder(dir: string, skip: (message: string) => void): Listing {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith(".")).sort();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such folder" : err.code === "ENOTDIR" ? "not a folder" : err.message;
    throw new Error(`${dir}: cannot read the image folder: ${why}`);
  }
  const out: Listing = { images: [], folders: [] };
  for (const name of names) {
    const path = join(dir, name);
    if (isImageName(name)) out.images.push(path); // read (and reported) later, with its fault
    else {
      try {
        if (statSync(path).isDirectory()) out.folders.push(path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ELOOP") skip(`${path}: symlink loop, skipped`);
      }
    }
  }
  return out;
}

/** True, after reporting it, when `dir` is a real folder already visited (a symlink loop); else marks it visited. */
function isLoop(dir: string, seen: Set<string>, skip: (message: string) => void): boolean {
  const real = realpathSync(dir);
  if (!seen.has(real)) {
    seen.add(real);
    return false;
  }
  skip(`${dir}: leads to a folder already visited, ${real} (a symlink loop or a second name), skipped`);
  return true;
}

/** Every image file under `dir` (depth first, sorted), visiting each real folder once. */
function imagesUnder(dir: string, seen: Set<string>, skip: (message: string) => void): string[] {
  const { images, folders } = listFolder(dir, skip);
  return [...images, ...folders.filter((f) => !isLoop(f, seen, skip)).flatMap((f) => imagesUnder(f, seen, skip))];
}

/** The image files of `root` with their labels (-1 when unlabelled) and the class names. */
function listImages(root: string, skip: (message: string) => void): { entries: { file: string; label: number }[]; classes: string[] } {
  const top = listFolder(root, skip); // first: it names a missing root in its error
  const seen = new Set([realpathSync(root)]);
  if (top.images.length > 0 && top.folders.length > 0) {
    throw new Error(`${root}: mixes images and sub-folders; put all images either directly in it or in one sub-folder per class`);
  }
  const classes: string[] = [];
  const entries: { file: string; label: number }[] = top.images.map((file) => ({ file, label: -1 }));
  for (const folder of top.folders.filter((f) => !isLoop(f, seen, skip))) {
    const files = imagesUnder(folder, seen, skip);
    if (files.length === 0) throw new Error(`${folder}: class folder holds no PNG or JPEG images`);
    entries.push(...files.map((file) => ({ file, label: classes.length })));
    classes.push(folder.slice(root.length + 1));
  }
  if (classes.length > 256) throw new Error(`${root}: ${classes.length} class folders; at most 256 are supported`);
  if (entries.length === 0) throw new Error(`${root}: no PNG or JPEG images (and no class sub-folders) in this folder`);
  return { entries, classes };
}

/** Side lengths an image of `header` has once upright and fitted. */
function fittedSize(h: ImageHeader, fit: SquareFit | undefined): [number, number] {
  const [height, width] = h.orientation >= 5 ? [h.width, h.height] : [h.height, h.width];
  if (fit === "crop") return [Math.min(height, width), Math.min(height, width)];
  if (fit === "pad") return [Math.max(height, width), Math.max(height, width)];
  return [height, width];
}

/** Options that fix how one file becomes network input. */
export interface ImagePrep {
  height: number;
  width: number;
  channels: 1 | 3;
  fit?: SquareFit;
  maxPixels?: number;
}

/** Decodes `file`, fits and resizes it as `prep` says, into `out` (`height × width × channels` bytes). */
export function imageFileInto(file: string, prep: ImagePrep, out: Uint8Array): void {
  const img = decodeImageFile(file, prep.maxPixels ?? MAX_IMAGE_PIXELS);
  rgbaInto(prep.fit ? fitSquare(img, prep.fit) : img, prep.channels, prep.height, prep.width, out, file);
}

/** A decoded set whose pixels went to a file, back to back (see {@link fileSink}). */
type DecodedToFile = Omit<DiskImages, "path" | "offset" | "read"> & { pixels: string };

/**
 * Reads the headers of `picked`, then decodes the usable files into one set (bad files: see
 * `onWarning`) — in memory, or, when it would take more than `memoryBytes`, into the file
 * `pixels`.
 */
function decodeImages(root: string, picked: { file: string; label: number }[], classes: string[], options: ImageFolderOptions, toDisk?: { memoryBytes: number; pixels: string }): ImageFolderSet | DecodedToFile {
  const { fit, onWarning, maxPixels = MAX_IMAGE_PIXELS } = options;
  let firstFault: string | undefined;
  const fault = (e: unknown) => {
    if (!onWarning) throw e;
    firstFault ??= (e as Error).message;
    onWarning((e as Error).message);
  };
  const readable: { file: string; label: number; header: ImageHeader }[] = [];
  for (const e of picked) {
    try {
      readable.push({ ...e, header: readImageFileHeader(e.file, maxPixels) });
    } catch (err) {
      fault(err);
    }
  }
  const noneUsable = () => new Error(`${root}: none of its ${picked.length} image files can be used (the first: ${firstFault})`);
  if (readable.length === 0) throw noneUsable();

  const sizes = new Set(readable.map((r) => fittedSize(r.header, fit).join("×")));
  const [height, width] = options.size !== undefined
    ? parseSize(options.size, "loadImageFolder")
    : sizes.size === 1 ? fittedSize(readable[0].header, fit) : [DEFAULT_SIDE, DEFAULT_SIDE];
  const channels = options.channels === "auto" ? (readable.every((r) => r.header.grey) ? 1 : 3) : (options.channels ?? 3);

  const size = height * width * channels;
  const streamed = toDisk !== undefined && readable.length * size > toDisk.memoryBytes;
  if (!streamed && readable.length * size > MAX_SET_BYTES) {
    const gb = (readable.length * size / 2 ** 30).toFixed(1);
    throw new Error(`${root}: ${readable.length} images at ${height}×${width}×${channels} need ${gb} GiB decoded, above the ${MAX_SET_BYTES / 2 ** 30} GiB limit; give a smaller size (byol train --image-size) or a limit`);
  }
  const memory = streamed ? undefined : memorySink(readable.length, size);
  const file = streamed ? fileSink(toDisk.pixels, size) : undefined;
  const sink = (memory ?? file)!;
  const kept: typeof readable = [];
  try {
    for (const r of readable) {
      try {
        imageFileInto(r.file, { height, width, channels, fit, maxPixels }, sink.slot());
        sink.keep();
        kept.push(r);
      } catch (err) {
        fault(err);
      }
    }
  } finally {
    file?.close();
  }
  if (kept.length === 0) throw noneUsable();
  const set = { labels: classes.length ? Uint8Array.from(kept, (e) => e.label) : undefined, n: kept.length, height, width, channels, classes, files: kept.map((e) => e.file) };
  if (!memory) return { ...set, pixels: toDisk!.pixels };
  return { ...set, images: kept.length < readable.length ? memory.images.slice(0, kept.length * size) : memory.images };
}

/**
 * {@link decodeImages} through the cache file `cache`: read back when it holds the same files and
 * options, and the size and channels asked for (or, when they are left to the files, was made so
 * too); else decoded and stored. A set above `memoryBytes` decoded stays in the cache file, read
 * from there image by image.
 */
function decodeCached(cache: string, root: string, picked: { file: string; label: number }[], classes: string[], options: ImageFolderOptions, memoryBytes = Infinity): ImageFolderSet | DiskImages {
  const { onWarning, size, channels = 3, fit, maxPixels = MAX_IMAGE_PIXELS } = options;
  const key = imageCacheKey(picked.map((e) => e.file), { labels: picked.map((e) => e.label), classes, fit, maxPixels });
  const auto = { size: size === undefined, channels: channels === "auto" };
  const matches = ({ set, auto: made }: CachedOnDisk) =>
    (auto.size ? made.size : parseSize(size!, "loadImageFolder").join() === [set.height, set.width].join()) &&
    (auto.channels ? made.channels : channels === set.channels);
  try {
    const hit = openImageCache(cache, key);
    if (hit && matches(hit)) {
      for (const m of hit.skipped) onWarning?.(m);
      return hit.set.n * imageBytes(hit.set) > memoryBytes ? hit.set : readImageCache(cache, key)!.set;
    }
  } catch (e) {
    onWarning?.(`${(e as Error).message}; decoding the images again`);
  }
  const skipped: string[] = [];
  const pixels = `${cache}.${process.pid}.pixels.tmp`;
  try {
    const set = decodeImages(root, picked, classes, { ...options, onWarning: onWarning && ((m) => (skipped.push(m), onWarning(m))) }, { memoryBytes, pixels });
    if ("images" in set) {
      try {
        writeImageCache(cache, key, { set, skipped, auto });
      } catch (e) {
        onWarning?.(`image cache not written: ${(e as Error).message}`);
      }
      return set;
    }
    // too large for memory: the cache is where training reads it, so failing to write it is an error
    writeImageCacheFrom(cache, key, { set, skipped, auto }, pixels);
    return openImageCache(cache, key)!.set;
  } finally {
    rmSync(pixels, { force: true });
  }
}

/**
 * Loads the PNG/JPEG images of `dir`. When `dir` holds sub-folders instead of images, each
 * sub-folder is a class (sorted names → labels 0, 1, …) holding the images anywhere below it;
 * symlinked folders are followed, each real folder once (under the first name met in sorted
 * order; a later name of it, e.g. a symlink loop, is reported and skipped). Files are checked by
 * their header before decoding (a file claiming more than `maxPixels` is refused unread). An empty
 * folder, a folder mixing images and class folders, or a folder with no usable image throws an
 * error naming it; a bad file throws or, with `onWarning`, is reported and skipped.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): ImageFolderSet {
  const { root, picked, classes } = pickImages(dir, options);
  // without a memory limit every set is decoded into memory
  return (options.cache ? decodeCached(options.cache, root, picked, classes, options) : decodeImages(root, picked, classes, options)) as ImageFolderSet;
}

/**
 * {@link loadImageFolder} for sets that may not fit in memory: a set whose decoded images take more
 * than `memoryBytes` is decoded into `cache` piece by piece and returned as {@link DiskImages},
 * read from there image by image; a smaller one is returned in memory. The cache is then required:
 * failing to write it is an error.
 */
export function openImageFolder(dir: string, options: ImageFolderOptions & { cache: string; memoryBytes: number }): ImageFolderSet | DiskImages {
  const { root, picked, classes } = pickImages(dir, options);
  return decodeCached(options.cache, root, picked, classes, options, options.memoryBytes);
}

/** The files {@link loadImageFolder} decodes, after checking its options. */
function pickImages(dir: string, options: ImageFolderOptions): { root: string; picked: { file: string; label: number }[]; classes: string[] } {
  const root = resolve(dir);
  if (options.size !== undefined) parseSize(options.size, "loadImageFolder");
  if (options.channels !== "auto") checkChannels(options.channels ?? 3, "loadImageFolder");
  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new Error(`loadImageFolder: limit must be a positive integer, got ${options.limit}`);
  }
  const { entries: all, classes } = listImages(root, (m) => options.onWarning?.(m));
  const picked = options.limit === undefined || options.limit >= all.length
    ? all
    : Array.from(heldOutSplit(all.length, options.limit, deriveSeed(options.seed ?? 0, SAMPLE_STREAM)).heldOut, (i) => all[i]);
  return { root, picked, classes };
}
