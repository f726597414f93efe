// Checkpoint files on disk (Node): written atomically — a temporary file in the same directory,
// flushed, then renamed over the old one — so a crash mid-write leaves the previous checkpoint.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

/** The checkpoint file inside a run directory. */
export const CHECKPOINT_FILE = "checkpoint.safetensors";

/** Path of the checkpoint file for `dirOrFile` (a run directory or the file itself). */
export function checkpointPath(dirOrFile: string): string {
  return dirOrFile.endsWith(".safetensors") ? dirOrFile : join(dirOrFile, CHECKPOINT_FILE);
}

/** Writes `bytes` to `path` atomically (temp + fsync + rename). */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(tmp, "w");
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new Error(`could not write ${path}: ${(e as Error).message}`);
  }
  try {
    // make the rename itself durable
    const dfd = openSync(dirname(path), "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // not every platform can fsync a directory
  }
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
