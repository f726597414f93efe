// Node: replace a file in one step, so readers see the old content or the new, never a part — even
// if the process is killed mid-write (temp file + rename) or the machine loses power (fsync of the
// file, then of its folder).
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

/** The moments of a write at which a crash leaves something different on disk. */
export type WriteStage = "partial" | "written" | "synced" | "renamed";

/** Called at each stage (a test hook: see `checkpoint-file.ts`). */
export type StageHook = (stage: WriteStage) => void;

/** Writes a new file at `path` with `write` (given its descriptor), then syncs it; `hook` sees the stages. */
function writeDurably(path: string, write: (fd: number) => void, hook?: StageHook): void {
  const fd = openSync(path, "w");
  try {
    write(fd);
    hook?.("written");
    fsyncSync(fd);
    hook?.("synced");
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `content` at the descriptor's position; `hook` sees the half-way point. */
export function writeAll(fd: number, content: Uint8Array, hook?: StageHook): void {
  const half = hook ? content.length >> 1 : content.length;
  for (let off = 0; off < content.length; ) {
    off += writeSync(fd, content, off, (off < half ? half : content.length) - off);
    if (off === half && off < content.length) hook?.("partial");
  }
}

function syncFolder(path: string): void {
  const fd = openSync(dirname(path), "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `content` to a temporary file beside `path`, then renames it over `path` and syncs the
 * folder. `what` names the content in errors; `hook` sees each stage.
 */
export function writeAtomic(path: string, content: Uint8Array | string, what = "file", hook?: StageHook): void {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  writeAtomicWith(path, (fd) => writeAll(fd, bytes, hook), what, hook);
}

/**
 * {@link writeAtomic} for content written piece by piece: `write` fills the temporary file through
 * its descriptor (e.g. `writeSync(fd, chunk)`), so the content never needs to be in memory at once.
 */
export function writeAtomicWith(path: string, write: (fd: number) => void, what = "file", hook?: StageHook): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeDurably(tmp, write, hook);
    renameSync(tmp, path);
    hook?.("renamed");
    syncFolder(path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the temporary file was never created (its folder is missing or not a folder)
    }
    throw new Error(`${path}: cannot write the ${what}: ${(e as Error).message}`);
  }
}
