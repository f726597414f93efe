// Writers of small image files and folder trees for the image-folder and CLI tests.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { loadFashionMnist } from "../src/data/fashion-mnist";

/** PNG colour types pngjs writes: 0 grey, 2 RGB, 4 grey + alpha, 6 RGBA. */
export type PngColour = 0 | 2 | 4 | 6;

/** PNG bytes of RGBA pixels stored as `colorType` at `bitDepth` (16-bit: each 8-bit value v as v·257). */
export function pngBytes(w: number, h: number, rgba: Uint8Array, colorType: PngColour = 6, bitDepth: 8 | 16 = 8): Buffer {
  const png = new PNG({ width: w, height: h, colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
  // pngjs reads 16-bit input as platform-order uint16s
  png.data = bitDepth === 8 ? Buffer.from(rgba) : Buffer.from(Uint16Array.from(rgba, (v) => v * 257).buffer);
  return PNG.sync.write(png, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true });
}

/** JPEG bytes (quality 95) of RGBA pixels, with an EXIF orientation tag when given. */
export function jpegBytes(w: number, h: number, rgba: Uint8Array, orientation?: number): Uint8Array {
  const plain = new Uint8Array(jpeg.encode({ data: rgba, width: w, height: h }, 95).data);
  return orientation === undefined ? plain : withOrientation(plain, orientation);
}

/** `jpegFile` with an APP1 EXIF segment holding only the orientation tag, right after its SOI. */
export function withOrientation(jpegFile: Uint8Array, orientation: number): Uint8Array {
  // APP1 "Exif\0\0" + big-endian TIFF header + IFD0 with the one orientation entry
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0, 0, 0];
  const body = [..."Exif\0\0"].map((c) => c.charCodeAt(0)).concat(tiff);
  const app1 = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  return Uint8Array.from([...jpegFile.subarray(0, 2), ...app1, ...jpegFile.subarray(2)]);
}

/** RGBA pixels of one colour. */
export const solid = (w: number, h: number, rgb: number[]) => Uint8Array.from({ length: w * h * 4 }, (_, i) => (i % 4 === 3 ? 255 : rgb[i % 4]));

/**
 * The first `n` Fashion-MNIST test images as PNGs under `dir`: grey 28×28 in one sub-folder per
 * class, or (`rgb`) tinted RGB, 36 wide (padded with black), all in `dir` itself.
 */
export async function fashionFolder(dataDir: string, dir: string, n: number, rgb = false): Promise<string[]> {
  const set = await loadFashionMnist({ path: dataDir, split: "test", limit: n });
  const files: string[] = [];
  for (let i = 0; i < set.n; i++) {
    const w = rgb ? 36 : 28;
    const rgba = new Uint8Array(w * 28 * 4);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = set.images[i * 784 + y * 28 + x];
        rgba.set(rgb ? [v, (v * 3) >> 2, v >> 1, 255] : [v, v, v, 255], 4 * (y * w + x + (rgb ? 4 : 0)));
      }
      if (rgb) for (let x = 0; x < w; x++) if (x < 4 || x >= 32) rgba[4 * (y * w + x) + 3] = 255;
    }
    const sub = rgb ? dir : join(dir, `${set.labels[i]}-${set.classes[set.labels[i]].replace("/", "-")}`);
    mkdirSync(sub, { recursive: true });
    const file = join(sub, `img${String(i).padStart(4, "0")}.png`);
    writeFileSync(file, pngBytes(w, 28, rgba, rgb ? 2 : 0));
    files.push(file);
  }
  return files;
}

/**
 * `n` small PNGs (`side` px, grey or RGB) in two class folders under `dir`, `dark/` and `light/`
 * (alternating): smooth gradients, so each file is a few hundred bytes.
 */
export function twoClassFolder(dir: string, n: number, side: number, rgb = false): void {
  for (const c of ["dark", "light"]) mkdirSync(join(dir, c), { recursive: true });
  // image i depends on i mod 30 only: 30 encodings serve any number of files
  const encoded = new Map<number, Buffer>();
  const png = (i: number) => {
    const rgba = new Uint8Array(side * side * 4);
    for (let p = 0; p < side * side; p++) {
      const v = (i % 2 ? 150 : 20) + ((i * 3 + (p % side) * 5 + Math.floor(p / side) * 2) % 90);
      rgba.set([v, rgb ? 255 - v : v, rgb ? (v * 7) & 255 : v, 255], 4 * p);
    }
    return pngBytes(side, side, rgba, rgb ? 2 : 0);
  };
  for (let i = 0; i < n; i++) {
    if (!encoded.has(i % 30)) encoded.set(i % 30, png(i % 30));
    writeFileSync(join(dir, i % 2 ? "light" : "dark", `${String(i).padStart(6, "0")}.png`), encoded.get(i % 30)!);
  }
}
