// Node: replace a file in one step, so readers see the old content or the new, never a part.
import { randomBytes } from "node:crypto";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** Writes `content` to a temporary file beside `path`, then renames it over `path`. `what` names the content in errors. */
export function writeAtomic(path: string, content: Uint8Array | string, what = "file"): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, content);
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
