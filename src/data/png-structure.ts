// PNG structure pngjs does not bound, checked before it decodes: it takes a later IHDR's size as
// the image's (past the pixel cap checked on the first), and inflates interlaced image data
// without a limit — either lets a small file allocate gigabytes.
import { inflateSync } from "node:zlib";

// Samples per pixel of each colour type: grey, RGB, palette index, grey + alpha, RGBA.
const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
// Adam7 passes: first column and row, column and row steps.
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** Bytes of filtered scanlines (a filter byte each) in the 7 passes of an interlaced image. */
function interlacedBytes(width: number, height: number, bitsPerPixel: number): number {
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil(Math.max(0, width - x0) / dx);
    const h = Math.ceil(Math.max(0, height - y0) / dy);
    if (w > 0) total += h * (1 + Math.ceil((w * bitsPerPixel) / 8));
  }
  return total;
}

/**
 * The fault of PNG `bytes` (signature and first IHDR already read) that pngjs would turn into an
 * unbounded allocation: a second IHDR, or interlaced data inflating past what the IHDR declares.
 * Undefined otherwise (pngjs reports the faults it bounds itself).
 */
export function pngStructureFault(bytes: Uint8Array): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const interlaced = bytes[28] === 1;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === "IHDR" && at !== 8) return `a second IHDR chunk at byte ${at}`;
    if (type === "IEND") break;
    if (type === "IDAT" && interlaced) idat.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const samples = SAMPLES[bytes[25]];
  if (!interlaced || samples === undefined) return undefined;
  const declared = interlacedBytes(view.getUint32(16), view.getUint32(20), samples * bytes[24]);
  try {
    inflateSync(Buffer.concat(idat), { maxOutputLength: Math.max(1, declared) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return `its interlaced image data inflates past the ${declared} bytes its IHDR declares`;
  }
  return undefined;
}
