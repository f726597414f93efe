// Node: a folder of PNG/JPEG images, resized to one size, optionally labelled by class sub-folders.
import { readdirSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { readBytes } from "./read-idx";
import { checkChannels, parseSize, rgbaInto, type RgbaImage } from "./rgba";
import type { ImageSet } from "./types";

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Output size: one number for square images, or `[height, width]`. */
  size: number | [number, number];
  /** 1 (grey, ITU-R 601 luma) or 3 (RGB, the default). Alpha is dropped. */
  channels?: 1 | 3;
  /** Keep only the first `limit` images (in sorted order). */
  limit?: number;
}

/** An {@link ImageSet} from a folder, with the file each image came from. */
export interface ImageFolderSet extends ImageSet {
  files: string[];
}

const IMAGE_EXTENSIONS = new Set([".png", ".jpg", ".jpeg"]);
const isImageName = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase());

/** Decodes PNG or JPEG bytes (told apart by their magic, not the file name). */
function decode(bytes: Uint8Array, file: string): RgbaImage {
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new Error(`${file}: not a PNG or JPEG image (${bytes.length === 0 ? "empty file" : `starts with ${head}`})`);
  }
  try {
    return isPng ? PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (e) {
    throw new Error(`${file}: corrupt ${isPng ? "PNG" : "JPEG"}: ${(e as Error).message}`);
  }
}

/** Non-hidden entries of `dir`, sorted, split into image files and sub-folders. */
function listFolder(dir: string): { images: string[]; folders: string[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith(".")).sort();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such folder" : err.code === "ENOTDIR" ? "not a folder" : err.message;
    throw new Error(`${dir}: cannot read the image folder: ${why}`);
  }
  const images = names.filter(isImageName).map((n) => join(dir, n));
  const folders = names.filter((n) => !isImageName(n) && statSync(join(dir, n), { throwIfNoEntry: false })?.isDirectory()).map((n) => join(dir, n));
  return { images, folders };
}

/**
 * Loads every PNG/JPEG in `dir`, resized (bilinear) to `size`. When `dir` holds sub-folders
 * instead of images, each sub-folder is a class (sorted names → labels 0, 1, …). An empty folder,
 * a folder mixing images and class folders, or an unreadable or corrupt file throws an error naming
 * the folder or file.
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions): ImageFolderSet {
  const root = resolve(dir);
  const [height, width] = parseSize(options.size, "loadImageFolder");
  const channels = checkChannels(options.channels ?? 3, "loadImageFolder");

  const top = listFolder(root);
  if (top.images.length > 0 && top.folders.length > 0) {
    throw new Error(`${root}: mixes images and sub-folders; put all images either directly in it or in one sub-folder per class`);
  }
  const classes = top.folders.map((f) => f.slice(root.length + 1));
  if (classes.length > 256) throw new Error(`${root}: ${classes.length} class folders; at most 256 are supported`);
  const entries: { file: string; label: number }[] = [];
  if (classes.length === 0) for (const file of top.images) entries.push({ file, label: -1 });
  top.folders.forEach((folder, label) => {
    const inner = listFolder(folder).images;
    if (inner.length === 0) throw new Error(`${folder}: class folder holds no PNG or JPEG images`);
    for (const file of inner) entries.push({ file, label });
  });
  if (entries.length === 0) throw new Error(`${root}: no PNG or JPEG images (and no class sub-folders) in this folder`);

  if (options.limit !== undefined && !(Number.isInteger(options.limit) && options.limit > 0)) {
    throw new Error(`loadImageFolder: limit must be a positive integer, got ${options.limit}`);
  }
  const n = options.limit === undefined ? entries.length : Math.min(options.limit, entries.length);
  const size = height * width * channels;
  const images = new Uint8Array(n * size);
  for (let i = 0; i < n; i++) {
    const { file } = entries[i];
    rgbaInto(decode(readBytes(file), file), channels, height, width, images.subarray(i * size, (i + 1) * size), file);
  }
  const used = entries.slice(0, n);
  return {
    images,
    labels: classes.length ? Uint8Array.from(used, (e) => e.label) : undefined,
    n,
    height,
    width,
    channels,
    classes,
    files: used.map((e) => e.file),
  };
}
