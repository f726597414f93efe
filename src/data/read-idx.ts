// Node: read an IDX file from disk, gunzipping it when it carries the gzip magic — never past the
// size its own header declares.
import { readFileSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import { declaredIdxBytes, isGzip, maxInflatedBytes, parseIdx, parseIdxHeader, type IdxArray } from "./idx";

// Node Buffers are Uint8Arrays whose slice() is a view, not a copy: hand out plain Uint8Arrays.
const plain = (b: Buffer) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Reads the file at `path` as bytes, with an error naming the file when it cannot be read. */
export function readBytes(path: string): Uint8Array {
  try {
    return plain(readFileSync(path));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file" : err.code === "EISDIR" ? "is a directory, not a file" : err.message;
    throw new Error(`${path}: cannot read: ${why}`);
  }
}

const inflate = (bytes: Uint8Array, source: string, maxOutputLength: number, partial: boolean): Uint8Array => {
  try {
    return plain(gunzipSync(bytes, { maxOutputLength, ...(partial ? { finishFlush: constants.Z_SYNC_FLUSH } : {}) }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw e;
    throw new Error(`${source}: corrupt gzip data: ${(e as Error).message}`);
  }
};

/**
 * Decompresses a gzip-compressed IDX file synchronously. The header is inflated first from a short
 * prefix of the input (a prefix of K bytes inflates to at most ~1032·K), then the whole stream
 * with its output capped at the size that header declares: a stream that inflates past it stops
 * there with an error, so memory never exceeds the file's own declared size. Errors name `source`.
 */
export function gunzipIdxSync(bytes: Uint8Array, source: string): Uint8Array {
  let header = null;
  for (let prefix = 64; ; prefix *= 4) {
    const head = inflate(bytes.subarray(0, prefix), source, maxInflatedBytes(prefix), true);
    header = parseIdxHeader(head, source);
    if (header) break;
    if (prefix >= bytes.length) return head; // too short for a header: parseIdx says what is missing
  }
  const declared = declaredIdxBytes(header, bytes.length, source);
  try {
    return inflate(bytes, source, declared, false);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ERR_BUFFER_TOO_LARGE") throw e;
    throw new Error(`${source}: trailing data: the gzip stream inflates past the ${declared} bytes its IDX header declares (${header.shape.join("×")} after the header); stopped there`);
  }
}

/** Reads and validates an IDX file (gzip or raw); errors name `path` and the fault. */
export function readIdx(path: string): IdxArray {
  const bytes = readBytes(path);
  return parseIdx(isGzip(bytes) ? gunzipIdxSync(bytes, path) : bytes, path);
}
