// Seeded mutation fuzzing of the PNG and JPEG readers the image-folder path runs (header, then
// decode, then EXIF orientation): every PNG colour type and bit depth pngjs accepts (interlaced
// too), baseline and progressive JPEGs with and without an EXIF orientation. Each mutated or
// truncated file decodes to an upright image its header accounts for, or is refused with an Error
// naming the file — in time and within the pixel cap (a small cap here, so any header past it must
// be refused before decoding). Crafted files check the cap on each path. See test/fuzz-cases.ts.
import { ftruncateSync, mkdtempSync, openSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeImageFile, MAX_IMAGE_PIXELS, readImageFileHeader } from "../src/data/decode-image";
import type { ImageHeader } from "../src/data/image-header";
import type { RgbaImage } from "../src/data/rgba";
import { apply, mutations, oneCase, SEED } from "./fuzz-cases";
import { jpegBytes, pngBytes, withOrientation, type PngColour } from "./image-files";
import { flatJpeg } from "./jpeg-flat";
import { fullTier } from "./tier";
import { concat, ihdr, PNG_SIGNATURE, pngChunk, rawPng } from "./png-raw";

const dir = mkdtempSync(join(tmpdir(), "byol-fuzz-images-"));
/** Cases per format (the hardening issue's 1,000 / 20,000; a decode costs about a millisecond). */
const RUNS = fullTier ? 20_000 : 1_000;
/** The pixel cap of the mutated cases: 64 × 64. */
const CAP = 4096;
/** Array-buffer growth a case may cause: decoding ≤ CAP pixels needs far less. */
const CASE_BYTES = 4 << 20;

const W = 12;
const H = 7;
/** A pattern of `w × h` RGBA pixels that differs across rows, columns and channels. */
const pattern = (w: number, h: number) => Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 40 + (i % 200) : (i * 37 + (i >> 5) * 11) & 255));

/** Seed PNGs: pngjs's colour types at 8 and 16 bits, and palette, low bit depths and Adam7 written here. */
function pngSeeds(): Record<string, Uint8Array> {
  const seeds: Record<string, Uint8Array> = {};
  for (const colour of [0, 2, 4, 6] as PngColour[]) for (const depth of [8, 16] as const) seeds[`pngjs type ${colour} ${depth}-bit`] = pngBytes(W, H, pattern(W, H), colour, depth);
  const palette = Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 16, (i * 80) & 255]);
  for (const depth of [1, 2, 4, 8] as const) {
    const sample = (p: number) => (p * 7) % (1 << Math.min(depth, 4));
    seeds[`palette ${depth}-bit`] = rawPng({ width: W, height: H, colourType: 3, bitDepth: depth, sample, palette, transparency: [0, 128, 255] });
    seeds[`grey ${depth}-bit`] = rawPng({ width: W, height: H, colourType: 0, bitDepth: depth, sample: (p) => (p * 5) % (1 << depth) });
  }
  for (const [colourType, bitDepth] of [[0, 8], [3, 4], [4, 8], [2, 16], [6, 16]] as const) {
    const max = (1 << bitDepth) - 1;
    seeds[`interlaced type ${colourType} ${bitDepth}-bit`] = rawPng({ width: W, height: H, colourType, bitDepth, interlace: true, sample: (p, c) => (p * 13 + c * 71) % (colourType === 3 ? 16 : max + 1), palette: colourType === 3 ? palette : undefined });
  }
  return seeds;
}

/** Seed JPEGs: jpeg-js's baseline colour, and baseline/progressive grey and colour written here; some with EXIF orientations. */
function jpegSeeds(): Record<string, Uint8Array> {
  const blocks = (n: number, k: number) => Array.from({ length: n }, (_, b) => (b * 53 + k * 97) & 255);
  const count = Math.ceil(W / 8) * Math.ceil(H / 8);
  const seeds: Record<string, Uint8Array> = {
    "baseline colour (jpeg-js)": jpegBytes(W, H, pattern(W, H)),
    "baseline grey": flatJpeg(W, H, [blocks(count, 0)], false),
    "progressive grey": flatJpeg(W, H, [blocks(count, 0)], true),
    "progressive colour": flatJpeg(W, H, [0, 1, 2].map((k) => blocks(count, k)), true),
  };
  for (const o of [2, 3, 6, 8]) seeds[`baseline colour, EXIF orientation ${o}`] = jpegBytes(W, H, pattern(W, H), o);
  seeds["progressive colour, EXIF orientation 5"] = withOrientation(seeds["progressive colour"], 5);
  seeds["baseline grey, EXIF orientation 7"] = withOrientation(seeds["baseline grey"], 7);
  return seeds;
}

/** Reads `file` as the image-folder path does: header, then the decode. */
const readImage = (file: string, cap = CAP) => ({ header: readImageFileHeader(file, cap), img: decodeImageFile(file, cap) });

/** An image its header accounts for: upright size, RGBA bytes, grey when stored grey, within the cap. */
function checkImage({ header, img }: { header: ImageHeader; img: RgbaImage }): void {
  expect(header.width * header.height).toBeLessThanOrEqual(CAP);
  const [w, h] = header.orientation >= 5 ? [header.height, header.width] : [header.width, header.height];
  expect([img.width, img.height]).toEqual([w, h]);
  expect(img.data).toBeInstanceOf(Uint8Array);
  expect(img.data.length).toBe(w * h * 4);
  if (header.grey) for (let i = 0; i < img.data.length; i += 4) expect(img.data[i + 1] === img.data[i] && img.data[i + 2] === img.data[i], `pixel ${i / 4} grey`).toBe(true);
}

const open = new Map<string, number>();
/**
 * Writes `bytes` as `dir/name`, rewriting one open file in place: opening with truncation makes
 * ext4 flush each time (milliseconds a case).
 */
function writeCase(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  if (!open.has(file)) open.set(file, openSync(file, "w+"));
  writeSync(open.get(file)!, bytes, 0, bytes.length, 0);
  ftruncateSync(open.get(file)!, bytes.length);
  return file;
}

/** One file through {@link readImage} under {@link oneCase}. */
function fileCase(name: string, bytes: Uint8Array, cap = CAP, grow = CASE_BYTES): Error | undefined {
  const file = writeCase(name, bytes);
  return oneCase(file, bytes, () => readImage(file, cap), checkImage, grow);
}

/** `png` with each chunk's CRC recomputed, so that pngjs reads on past the mutated bytes. */
function recrc(png: Uint8Array): Uint8Array {
  const out = png.slice();
  const view = new DataView(out.buffer);
  for (let at = 8; at + 12 <= out.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > out.length) break;
    view.setUint32(at + 8 + length, crc32(out.subarray(at + 4, at + 8 + length)));
    at += 12 + length;
  }
  return out;
}

/** {@link RUNS} mutations of the seeds (fast-check picks the seed), each read as a file; `fix` may repair them after. */
function fuzz(seeds: Record<string, Uint8Array>, name: string, focus: number, fix?: (b: Uint8Array) => Uint8Array): void {
  const entries = Object.values(seeds);
  fc.assert(
    fc.property(fc.nat(entries.length - 1), mutations, fc.boolean(), (k, ms, fixed) => {
      const bytes = apply(entries[k], ms, focus);
      fileCase(name, fix && fixed ? fix(bytes) : bytes);
    }),
    { numRuns: RUNS, seed: SEED },
  );
}

const PNG_SEEDS = pngSeeds();
const JPEG_SEEDS = jpegSeeds();

describe("fuzzing the PNG and JPEG readers", () => {
  it("reads every seed as written", () => {
    for (const [what, bytes] of [...Object.entries(PNG_SEEDS), ...Object.entries(JPEG_SEEDS)]) {
      expect(fileCase("seed", bytes), what).toBeUndefined();
      const { header } = readImage(join(dir, "seed"));
      expect([header.width, header.height], what).toEqual([W, H]);
    }
    // pixels too, where the writers here are exact: palette entries with their tRNS alpha, grey scaled up
    const palette = readImage(writeCase("p.png", PNG_SEEDS["palette 2-bit"])).img;
    expect(Array.from(palette.data.subarray(4, 12))).toEqual([48, 207, 240, 255, 32, 223, 160, 255]); // pixels 1, 2: indices 3, 2
    const grey = readImage(writeCase("g.png", PNG_SEEDS["grey 2-bit"])).img;
    expect(Array.from(grey.data.subarray(4, 8))).toEqual([85, 85, 85, 255]); // pixel 1: sample 1 of 0–3
    const jpg = readImage(writeCase("j.jpg", flatJpeg(8, 8, [[200]], true))).img;
    expect(jpg.data[0]).toBeCloseTo(200, -1);
  });

  it(`PNG: ${RUNS} mutated and truncated files over every colour type and bit depth`, () => {
    fuzz(PNG_SEEDS, "fuzz.png", 64, recrc); // half with their CRCs made right again
  }, 600_000);

  it(`JPEG: ${RUNS} mutated and truncated files, baseline and progressive, with and without EXIF`, () => {
    fuzz(JPEG_SEEDS, "fuzz.jpg", 400);
  }, 600_000);

  it("refuses a header past the pixel cap before decoding, on every path", () => {
    const refused = (name: string, bytes: Uint8Array, cap = MAX_IMAGE_PIXELS) => {
      const e = fileCase(name, bytes, cap, 1 << 20);
      expect(e?.message, name).toMatch(/above the limit of [\d,]+; refused before decoding$/);
    };
    const huge = (colourType: number, depth: number, w: number, h: number) =>
      concat([Uint8Array.from(PNG_SIGNATURE), pngChunk("IHDR", ihdr(w, h, colourType, depth)), pngChunk("IDAT", deflateSync(new Uint8Array(64))), pngChunk("IEND", new Uint8Array())]);
    refused("huge-rgba.png", huge(6, 8, 100_000, 100_000));
    refused("huge-palette.png", huge(3, 8, 9000, 9000));
    refused("huge-grey16.png", huge(0, 16, 0xffffffff, 2));
    // a JPEG frame header claiming 65535 × 65535, behind an EXIF orientation that swaps the sides
    const sof = (jpegFile: Uint8Array, w: number, h: number) => {
      const b = jpegFile.slice();
      const at = b.findIndex((x, i) => x === 0xff && (b[i + 1] === 0xc0 || b[i + 1] === 0xc2));
      b.set([h >> 8, h & 255, w >> 8, w & 255], at + 5);
      return b;
    };
    refused("huge-rotated.jpg", sof(jpegBytes(W, H, pattern(W, H), 6), 65535, 65535));
    refused("huge-progressive.jpg", withOrientation(sof(flatJpeg(W, H, [[1, 2]], true), 65535, 1000), 8));
    // at the cap and one row past it
    expect(fileCase("at-cap.png", pngBytes(64, 64, pattern(64, 64)), CAP)).toBeUndefined();
    refused("past-cap.png", pngBytes(64, 65, pattern(64, 65)), CAP);
    refused("past-cap.jpg", withOrientation(jpegBytes(64, 65, pattern(64, 65)), 6), CAP);
  });

  it("refuses PNGs whose decoding pngjs would not bound: a second IHDR, an interlaced inflate bomb", () => {
    const sig = Uint8Array.from(PNG_SIGNATURE);
    const end = pngChunk("IEND", new Uint8Array());
    const idat = pngChunk("IDAT", deflateSync(new Uint8Array(8 * 9)));
    const twice = concat([sig, pngChunk("IHDR", ihdr(8, 8, 0, 8)), pngChunk("IHDR", ihdr(30_000, 30_000, 0, 8)), idat, end]);
    expect(fileCase("two-ihdr.png", twice, MAX_IMAGE_PIXELS, 1 << 20)?.message).toMatch(/two-ihdr\.png: corrupt PNG: a second IHDR chunk at byte 33$/);
    // an 8 × 8 interlaced grey image holds 79 bytes of scanlines (7 passes); this IDAT inflates to 64 MB
    const bomb = concat([sig, pngChunk("IHDR", ihdr(8, 8, 0, 8, true)), pngChunk("IDAT", deflateSync(new Uint8Array(64 << 20))), end]);
    expect(fileCase("bomb.png", bomb, MAX_IMAGE_PIXELS, 1 << 20)?.message).toMatch(/bomb\.png: corrupt PNG: its interlaced image data inflates past the 79 bytes its IHDR declares$/);
  });
});
