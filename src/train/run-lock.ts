// One `byol train` per output folder (Node): a lock file holding the owner's process id, taken with
// an exclusive create; a lock whose process is gone (killed, crashed) is stale and taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The lock file inside a run directory. */
export const LOCK_FILE = "byol.lock";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
};

/**
 * Takes the lock of run directory `dir` for this process until it exits (or `release()`). Throws,
 * naming the folder and the owner, when a live process holds it; returns `stale` with the dead
 * owner's id when it took over a lock left behind.
 */
export function lockRunDir(dir: string): { release: () => void; stale: number | null } {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  let stale: number | null = null;
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw new Error(`${path}: cannot take the run lock: ${(e as Error).message}`);
    }
    const owner = Number.parseInt(readFileSync(path, "utf8"), 10);
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new Error(`${dir} is in use by another byol train (process ${owner}, lock ${path}); wait for it to finish or choose another --out`);
    }
    stale = Number.isInteger(owner) ? owner : null;
    rmSync(path, { force: true }); // the owner is gone: take over
  }
  const release = () => {
    try {
      if (Number.parseInt(readFileSync(path, "utf8"), 10) === process.pid) rmSync(path, { force: true });
    } catch {
      // already gone
    }
    process.removeListener("exit", release);
  };
  process.on("exit", release);
  return { release, stale };
}
