// Node: replace a file in one step, so readers see the old content or the new, never a part — even
// if the process is killed mid-write (temp file + rename) or the machine loses power (fsync).
import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";

function writeDurably(path: string, content: Uint8Array): void {
  const fd = openSync(path, "w");
  try {
    for (let off = 0; off < content.length; ) off += writeSync(fd, content, off, content.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Writes `content` to a temporary file beside `path`, then renames it over `path`. `what` names the content in errors. */
export function writeAtomic(path: string, content: Uint8Array | string, what = "file"): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeDurably(tmp, typeof content === "string" ? new TextEncoder().encode(content) : content);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the temporary file was never created (its folder is missing or not a folder)
    }
    throw new Error(`${path}: cannot write the ${what}: ${(e as Error).message}`);
  }
}
