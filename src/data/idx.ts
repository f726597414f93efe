// IDX: the file format of MNIST and Fashion-MNIST. A 4-byte magic (0x00 0x00 dtype ndim), ndim
// big-endian uint32 dimensions, then the elements in C order. Files usually come gzip-compressed.

/** A decoded IDX array: its dimensions and its unsigned-byte elements in C order. */
export interface IdxArray {
  shape: number[];
  data: Uint8Array;
}

const DTYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};
const UBYTE = 0x08;
// MNIST-like data has 1 to 4 dimensions; a larger count means the bytes are not IDX.
const MAX_DIMS = 8;

/** True when `bytes` start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");

/**
 * Parses the bytes of an uncompressed IDX file of unsigned bytes (dtype 0x08), validating the magic,
 * the dtype, the dimensions and the exact length. `source` names the file in errors. Gzip-compressed
 * bytes are refused with a pointer to {@link parseIdxAsync} (or `readIdx` in Node), which decompress
 * first. `data` is a view into `bytes` (no copy).
 */
export function parseIdx(bytes: Uint8Array, source = "IDX data"): IdxArray {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) fail("expected a Uint8Array of the file's bytes");
  if (isGzip(bytes)) fail("gzip-compressed: decompress it first (parseIdxAsync, or readIdx in Node, do that)");
  if (bytes.length < 4) fail(`not an IDX file: ${bytes.length} bytes is shorter than the 4-byte magic`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`not an IDX file: wrong magic ${hex(bytes.subarray(0, 4))} (expected 00 00 <dtype> <ndim>)`);
  }
  const dtype = bytes[2];
  if (dtype !== UBYTE) {
    const name = DTYPE_NAMES[dtype];
    fail(name ? `dtype 0x${hex(bytes.subarray(2, 3))} (${name}) is not supported: only 0x08 unsigned byte`
      : `not an IDX file: unknown dtype 0x${hex(bytes.subarray(2, 3))} in the magic`);
  }
  const ndim = bytes[3];
  if (ndim < 1 || ndim > MAX_DIMS) fail(`not an IDX file: ${ndim} dimensions in the magic (expected 1 to ${MAX_DIMS})`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    fail(`truncated: the header of ${ndim} dimensions needs ${headerBytes} bytes, file has ${bytes.length}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  const says = `header says ${shape.join("×")} = ${expected} bytes`;
  if (actual < expected) fail(`truncated: ${says}, file has ${actual} after the ${headerBytes}-byte header`);
  if (actual > expected) fail(`${actual - expected} trailing bytes: ${says}, file has ${actual} after the ${headerBytes}-byte header`);
  return { shape, data: bytes.subarray(headerBytes) };
}

/**
 * Decompresses `bytes` with the platform's `DecompressionStream` (browsers, Node ≥ 18). Corrupt
 * data throws an error naming `source`.
 */
export async function gunzip(bytes: Uint8Array, source = "gzip data"): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(`${source}: corrupt gzip data: ${(e as Error).message}`);
  }
}

/**
 * Parses an IDX file that may be gzip-compressed (detected by its magic 1f 8b), in any runtime.
 * Same validation and errors as {@link parseIdx}.
 */
export async function parseIdxAsync(bytes: Uint8Array, source = "IDX data"): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, source) : bytes, source);
}
