// Node-only file helpers for the interchange format: read a safetensors file with its name in
// every error.
import { readFileSync } from "node:fs";
import { parseSafetensors, type SafeTensor, type SafetensorsFile } from "./safetensors";

/**
 * Reads and parses a safetensors file; errors name `path` (missing file, not safetensors,
 * truncated). Returns tensors and metadata.
 */
export function parseSafetensorsFile(path: string): SafetensorsFile {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseSafetensors(buf, path);
}

/** The tensors of a safetensors file (see {@link parseSafetensorsFile}). */
export function readSafetensorsFile(path: string): Record<string, SafeTensor> {
  return parseSafetensorsFile(path).tensors;
}
