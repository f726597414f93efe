// PNG files written chunk by chunk, for what pngjs does not write — palette images, bit depths
// below 8, Adam7 interlacing — and for malformed files built on purpose.
import { crc32, deflateSync } from "node:zlib";

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** One chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set([...type].map((c) => c.charCodeAt(0)), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** The IHDR chunk's 13 data bytes. */
export function ihdr(width: number, height: number, colourType: number, bitDepth: number, interlace = false): Uint8Array {
  const d = new Uint8Array(13);
  new DataView(d.buffer).setUint32(0, width);
  new DataView(d.buffer).setUint32(4, height);
  d.set([bitDepth, colourType, 0, 0, interlace ? 1 : 0], 8);
  return d;
}

export const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

/** Samples per pixel of each colour type: grey, RGB, palette index, grey + alpha, RGBA. */
export const SAMPLES: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

export interface RawPng {
  width: number;
  height: number;
  colourType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  /** Sample of pixel p, channel c (already at the bit depth: palette indices for type 3). */
  sample: (p: number, c: number) => number;
  /** Palette entries as [r, g, b] (type 3). */
  palette?: number[][];
  /** tRNS data: palette alphas (type 3). */
  transparency?: number[];
}

// Adam7 passes: first column and row, column and row steps.
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

/** Filtered scanlines of the pixels at `xs` × `ys`; rows alternate filters None and Up. */
function scanlines(p: RawPng, xs: number[], ys: number[]): number[] {
  const channels = SAMPLES[p.colourType];
  const out: number[] = [];
  let previous: number[] = [];
  ys.forEach((y, row) => {
    let bits = 0;
    let acc = 0;
    const bytes: number[] = [];
    for (const x of xs) {
      for (let c = 0; c < channels; c++) {
        const s = p.sample(y * p.width + x, c);
        if (p.bitDepth === 16) bytes.push(s >> 8, s & 255);
        else if (p.bitDepth === 8) bytes.push(s);
        else {
          acc = (acc << p.bitDepth) | s;
          bits += p.bitDepth;
          if (bits === 8) (bytes.push(acc), (acc = 0), (bits = 0));
        }
      }
    }
    if (bits > 0) bytes.push(acc << (8 - bits));
    const up = row % 2 === 1;
    out.push(up ? 2 : 0, ...bytes.map((b, i) => (up ? (b - previous[i] + 256) & 255 : b)));
    previous = bytes;
  });
  return out;
}

/** A PNG of `p` (IHDR, PLTE and tRNS when given, one IDAT, IEND). */
export function rawPng(p: RawPng): Uint8Array {
  const range = (from: number, to: number, step: number) => Array.from({ length: Math.max(0, Math.ceil((to - from) / step)) }, (_, i) => from + i * step);
  const data = p.interlace
    ? ADAM7.flatMap(([x0, y0, dx, dy]) => {
        const xs = range(x0, p.width, dx);
        return xs.length ? scanlines(p, xs, range(y0, p.height, dy)) : [];
      })
    : scanlines(p, range(0, p.width, 1), range(0, p.height, 1));
  return concat([
    Uint8Array.from(PNG_SIGNATURE),
    pngChunk("IHDR", ihdr(p.width, p.height, p.colourType, p.bitDepth, p.interlace)),
    ...(p.palette ? [pngChunk("PLTE", Uint8Array.from(p.palette.flat()))] : []),
    ...(p.transparency ? [pngChunk("tRNS", Uint8Array.from(p.transparency))] : []),
    pngChunk("IDAT", deflateSync(Uint8Array.from(data))),
    pngChunk("IEND", new Uint8Array()),
  ]);
}
