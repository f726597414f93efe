// Node: one image file to upright RGBA pixels — header checked first (format, size within bounds),
// then decoded (PNG of any bit depth and colour type, baseline/progressive JPEG) and turned upright
// by its EXIF orientation. Every fault is one line naming the file.
import { closeSync, openSync, readSync } from "node:fs";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { readImageHeader, type ImageHeader } from "./image-header";
import { orientUpright } from "./orient";
import { pngStructureFault } from "./png-structure";
import { readBytes } from "./read-idx";
import type { RgbaImage } from "./rgba";

/** Images above this many pixels are refused before decoding (64 MP ≈ 8000 × 8000, 256 MB as RGBA). */
export const MAX_IMAGE_PIXELS = 64_000_000;

// Enough for a header behind a typical EXIF block with its thumbnail.
const HEAD_BYTES = 1 << 16;

/** The first `HEAD_BYTES` of `file` (the whole file when shorter). */
function readHead(file: string): { bytes: Uint8Array; whole: boolean } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch {
    return { bytes: readBytes(file), whole: true }; // throws the one-line error naming the file
  }
  try {
    const buf = new Uint8Array(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return { bytes: buf.subarray(0, n), whole: n < HEAD_BYTES };
  } finally {
    closeSync(fd);
  }
}

/** Checks a parsed header against the pixel budget; throws the fault naming `file`. */
function checkHeader(header: ImageHeader | string, file: string, maxPixels: number): ImageHeader {
  if (typeof header === "string") throw new Error(`${file}: ${header}`);
  const { width, height, format } = header;
  if (!(width > 0 && height > 0)) throw new Error(`${file}: ${format.toUpperCase()} header claims ${width} × ${height} pixels`);
  if (width * height > maxPixels) {
    throw new Error(`${file}: ${format.toUpperCase()} header claims ${width} × ${height} pixels, above the limit of ${maxPixels.toLocaleString("en")}; refused before decoding`);
  }
  return header;
}

/** The header of the image file `file`, checked (reads only its start when that suffices). */
export function readImageFileHeader(file: string, maxPixels = MAX_IMAGE_PIXELS): ImageHeader {
  const head = readHead(file);
  let header = readImageHeader(head.bytes);
  if (typeof header === "string" && !head.whole && /truncated/.test(header)) header = readImageHeader(readBytes(file));
  return checkHeader(header, file, maxPixels);
}

/** Upright RGBA pixels of the PNG or JPEG file `file` (at most `maxPixels`); errors name the file. */
export function decodeImageFile(file: string, maxPixels = MAX_IMAGE_PIXELS): RgbaImage {
  const bytes = readBytes(file);
  const header = checkHeader(readImageHeader(bytes), file, maxPixels);
  const fault = header.format === "png" ? pngStructureFault(bytes) : undefined;
  if (fault) throw new Error(`${file}: corrupt PNG: ${fault}`);
  let img: RgbaImage;
  try {
    // pngjs expands every PNG (grey, palette, 16-bit, with or without alpha) to 8-bit RGBA
    img = header.format === "png"
      ? PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
      : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6 });
  } catch (e) {
    throw new Error(`${file}: corrupt ${header.format.toUpperCase()}: ${(e as Error).message}`);
  }
  if (img.width !== header.width || img.height !== header.height) {
    throw new Error(`${file}: decoded ${img.width} × ${img.height} pixels, the header says ${header.width} × ${header.height}`);
  }
  return orientUpright(img, header.orientation);
}
