// Checkpoint files on disk (Node): one safetensors file per run directory, replaced atomically so
// that a crash mid-write leaves the previous checkpoint loadable.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeAtomic } from "../data/write-atomic";

/** The checkpoint file inside a run directory. */
export const CHECKPOINT_FILE = "checkpoint.safetensors";

/** Path of the checkpoint file for `dirOrFile` (a run directory or the file itself). */
export function checkpointPath(dirOrFile: string): string {
  return dirOrFile.endsWith(".safetensors") ? dirOrFile : join(dirOrFile, CHECKPOINT_FILE);
}

/** Writes checkpoint bytes atomically into `dirOrFile`. */
export function writeCheckpointFile(dirOrFile: string, bytes: Uint8Array): string {
  const path = checkpointPath(dirOrFile);
  writeAtomic(path, bytes, "checkpoint");
  return path;
}

/** Reads a checkpoint file, naming it in the error when it is missing or unreadable. */
export function readCheckpointFile(dirOrFile: string): { path: string; bytes: Uint8Array } {
  const path = checkpointPath(dirOrFile);
  try {
    return { path, bytes: new Uint8Array(readFileSync(path)) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === "ENOENT" ? "no such file (train with --out DIR first)" : err.message;
    throw new Error(`checkpoint ${path}: ${why}`);
  }
}
