// JPEG files whose 8×8 blocks are flat (DC coefficients only), baseline or progressive, with one or
// three components: jpeg-js writes only baseline colour files, and a DC-only encoder is small
// enough to write here.

/** Huffman tables: DC categories 0–11 as 4-bit codes 0000–1011; AC only EOB, as the code "0". */
const DHT = [0xff, 0xc4, 0, 49, 0x00, 0, 0, 0, 12, ...Array(12).fill(0), ...Array.from({ length: 12 }, (_, i) => i), 0x10, 1, ...Array(15).fill(0), 0x00];

/** Bits to bytes, MSB first, 0xFF stuffed with 0x00, the last byte padded with ones. */
class BitWriter {
  bytes: number[] = [];
  private acc = 0;
  private n = 0;
  put(value: number, bits: number): void {
    for (let i = bits - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >> i) & 1);
      if (++this.n === 8) this.flushByte();
    }
  }
  private flushByte(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.n = 0;
  }
  end(): number[] {
    if (this.n > 0) this.put(0x7f, 8 - this.n);
    return this.bytes;
  }
}

/** Writes one DC difference: its category's code, then its bits. */
function putDc(w: BitWriter, diff: number): void {
  const s = diff === 0 ? 0 : 32 - Math.clz32(Math.abs(diff));
  w.put(s, 4);
  if (s > 0) w.put(diff > 0 ? diff : diff + (1 << s) - 1, s);
}

const sos = (ids: number[], ss: number, se: number) => [0xff, 0xda, 0, 6 + 2 * ids.length, ids.length, ...ids.flatMap((id) => [id, 0x00]), ss, se, 0];

/**
 * A JPEG of `width × height` whose component `c` has the value `blocks[c][b]` (0–255) over block
 * `b` (raster order over ceil(w/8) × ceil(h/8) blocks). Three components are YCbCr.
 */
export function flatJpeg(width: number, height: number, blocks: number[][], progressive: boolean): Uint8Array {
  const ids = blocks.map((_, i) => i + 1);
  const count = Math.ceil(width / 8) * Math.ceil(height / 8);
  const dc = blocks.map((values) => Array.from({ length: count }, (_, b) => Math.round((values[b] - 128) * 8)));
  const head = [
    0xff, 0xd8,
    0xff, 0xdb, 0, 67, 0, ...Array(64).fill(1), // quantization 1: the DC is 8 × (value − 128)
    0xff, progressive ? 0xc2 : 0xc0, 0, 8 + 3 * ids.length, 8, height >> 8, height & 255, width >> 8, width & 255, ids.length, ...ids.flatMap((id) => [id, 0x11, 0]),
    ...DHT,
  ];
  const scans: number[] = [];
  // the DC scan (every block of a baseline file also ends its AC with EOB); components interleave
  const w = new BitWriter();
  const pred = ids.map(() => 0);
  for (let b = 0; b < count; b++) {
    for (let c = 0; c < ids.length; c++) {
      putDc(w, dc[c][b] - pred[c]);
      pred[c] = dc[c][b];
      if (!progressive) w.put(0, 1);
    }
  }
  scans.push(...sos(ids, 0, progressive ? 0 : 63), ...w.end());
  // progressive: one AC scan per component, each block only EOB
  if (progressive) {
    for (const id of ids) {
      const ac = new BitWriter();
      for (let b = 0; b < count; b++) ac.put(0, 1);
      scans.push(...sos([id], 1, 63), ...ac.end());
    }
  }
  return Uint8Array.from([...head, ...scans, 0xff, 0xd9]);
}
