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

/** Largest IDX file byol-ts reads (header + data): checked before anything that size is allocated. */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

/** Deflate's best ratio is 1032:1, so no gzip stream inflates to more than this many bytes. */
export const maxInflatedBytes = (compressed: number): number => 1032 * compressed + 1024;

/** The header of an IDX file: its dimensions and sizes in bytes. */
export interface IdxHeader {
  shape: number[];
  headerBytes: number;
  /** Header plus data: the file's exact length. */
  totalBytes: number;
}

/**
 * Validates the header at the start of `bytes` (magic, dtype, dimensions, a total size within
 * {@link MAX_IDX_BYTES}); null when `bytes` end before the header does. `source` names the file.
 */
export function parseIdxHeader(bytes: Uint8Array, source = "IDX data"): IdxHeader | null {
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (bytes.length >= 2 && (bytes[0] !== 0 || bytes[1] !== 0)) {
    fail(`not an IDX file: wrong magic ${hex(bytes.subarray(0, 4))} (expected 00 00 <dtype> <ndim>)`);
  }
  if (bytes.length < 4) return null;
  const dtype = bytes[2];
  if (dtype !== UBYTE) {
    const name = DTYPE_NAMES[dtype];
    fail(name ? `dtype 0x${hex(bytes.subarray(2, 3))} (${name}) is not supported: only 0x08 unsigned byte`
      : `not an IDX file: unknown dtype 0x${hex(bytes.subarray(2, 3))} in the magic`);
  }
  const ndim = bytes[3];
  if (ndim < 1 || ndim > MAX_DIMS) fail(`not an IDX file: ${ndim} dimensions in the magic (expected 1 to ${MAX_DIMS})`);
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const totalBytes = headerBytes + shape.reduce((a, b) => a * b, 1); // exact below 2^53: ≤ 8 factors < 2^32 checked next
  if (totalBytes > MAX_IDX_BYTES) fail(`header says ${shape.join("×")} bytes of data, more than the ${MAX_IDX_BYTES} bytes byol-ts reads from one IDX file`);
  return { shape, headerBytes, totalBytes };
}

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
  const header = parseIdxHeader(bytes, source);
  if (!header) {
    const need = 4 + 4 * bytes[3];
    return fail(`truncated: the header of ${bytes[3]} dimensions needs ${need} bytes, file has ${bytes.length}`);
  }
  const { shape, headerBytes, totalBytes } = header;
  const expected = totalBytes - headerBytes;
  const actual = bytes.length - headerBytes;
  const says = `header says ${shape.join("×")} = ${expected} bytes`;
  if (actual < expected) fail(`truncated: ${says}, file has ${actual} after the ${headerBytes}-byte header`);
  if (actual > expected) fail(`${actual - expected} trailing bytes: ${says}, file has ${actual} after the ${headerBytes}-byte header`);
  return { shape, data: bytes.subarray(headerBytes) };
}

/**
 * The size an IDX file compressed in `compressed` bytes declares, checked against what that much
 * gzip can hold: `header` from its first inflated bytes.
 */
export function declaredIdxBytes(header: IdxHeader, compressed: number, source: string): number {
  if (header.totalBytes > maxInflatedBytes(compressed)) {
    throw new Error(`${source}: truncated: header says ${header.shape.join("×")} bytes of data, more than ${compressed} bytes of gzip can hold`);
  }
  return header.totalBytes;
}

/**
 * Decompresses a gzip-compressed IDX file with the platform's `DecompressionStream` (browsers,
 * Node ≥ 18), chunk by chunk: the header is validated as soon as it arrives, and a stream that
 * inflates past the size the header declares stops there, so memory stays within the file's own
 * declared size. Errors name `source`.
 */
async function gunzipIdx(bytes: Uint8Array, source = "gzip data"): Promise<Uint8Array> {
  const reader = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  let head: Uint8Array = new Uint8Array(0);
  let out: Uint8Array | null = null;
  let says = "";
  let filled = 0;
  try {
    for (;;) {
      let chunk: Uint8Array;
      try {
        const r = await reader.read();
        if (r.done) break;
        chunk = r.value;
      } catch (e) {
        throw new Error(`${source}: corrupt gzip data: ${(e as Error).message}`);
      }
      if (!out) {
        head = concat(head, chunk);
        const header = parseIdxHeader(head, source);
        if (!header && head.length < 64) continue;
        if (!header) throw new Error(`${source}: not an IDX file: no valid header in its first ${head.length} bytes`);
        out = new Uint8Array(declaredIdxBytes(header, bytes.length, source));
        says = header.shape.join("×");
        chunk = head;
      }
      if (filled + chunk.length > out.length) {
        throw new Error(`${source}: trailing data: the gzip stream inflates past the ${out.length} bytes its IDX header declares (${says} after the header); stopped there`);
      }
      out.set(chunk, filled);
      filled += chunk.length;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  if (!out) return head; // too short for a header: parseIdx says what is missing
  return out.subarray(0, filled);
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
};

/**
 * Parses an IDX file that may be gzip-compressed (detected by its magic 1f 8b), in any runtime.
 * Same validation and errors as {@link parseIdx}.
 */
export async function parseIdxAsync(bytes: Uint8Array, source = "IDX data"): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzipIdx(bytes, source) : bytes, source);
}
