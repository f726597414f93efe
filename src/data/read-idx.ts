// Node: read an IDX file from disk, gunzipping it when it carries the gzip magic.
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { isGzip, parseIdx, type IdxArray } from "./idx";

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

/** Decompresses gzip bytes (zlib, synchronous), naming `source` when the data is corrupt. */
export function gunzipBytes(bytes: Uint8Array, source: string): Uint8Array {
  try {
    return plain(gunzipSync(bytes));
  } catch (e) {
    throw new Error(`${source}: corrupt gzip data: ${(e as Error).message}`);
  }
}

/** Reads and validates an IDX file (gzip or raw); errors name `path` and the fault. */
export function readIdx(path: string): IdxArray {
  const bytes = readBytes(path);
  return parseIdx(isGzip(bytes) ? gunzipBytes(bytes, path) : bytes, path);
}
