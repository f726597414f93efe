// Peak memory of an awaited piece of work, in process: the resident set and the live ArrayBuffers
// (where pixels live), sampled after a garbage collection so transient buffers do not count.
import { readFileSync, writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** The garbage collector, made callable (as node --expose-gc would). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** How far (MiB) the resident set and live ArrayBuffers rose above their level before `work`, sampled every `ms`. */
export async function memoryGrowth(work: () => Promise<unknown>, ms = 250): Promise<{ rss: number; arrayBuffers: number }> {
  const gc = collector();
  gc();
  resetResidentHighWater();
  const before = process.memoryUsage();
  const peak = { rss: before.rss, arrayBuffers: before.arrayBuffers };
  const sample = () => {
    gc();
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, now.arrayBuffers);
  };
  const sampler = setInterval(sample, ms);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  sample();
  peak.rss = Math.max(peak.rss, residentHighWater() ?? 0);
  return { rss: (peak.rss - before.rss) / 2 ** 20, arrayBuffers: (peak.arrayBuffers - before.arrayBuffers) / 2 ** 20 };
}

/**
 * The kernel's high-water mark of the resident set (Linux), in bytes: it sees a peak that lasted
 * between two samples — work that never yields to the event loop gives the sampler no turn.
 */
function residentHighWater(): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Starts the high-water mark afresh at the current resident set (Linux; elsewhere a no-op). */
function resetResidentHighWater(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // not Linux: the sampled peaks alone
  }
}
