// Builders of small data files for the data tests.

/** An IDX file of unsigned bytes with the given shape (elements 0, 1, 2, … mod 256 unless given). */
export function idxBytes(shape: number[], data?: Uint8Array, dtype = 0x08): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * shape.length + n);
  out.set([0, 0, dtype, shape.length]);
  const view = new DataView(out.buffer);
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data ?? Uint8Array.from({ length: n }, (_, i) => i % 256), 4 + 4 * shape.length);
  return out;
}
