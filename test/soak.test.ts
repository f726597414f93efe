// The soak in small (bench/soak.ts --tiny): 1,000 steps on wasm with two kernel threads, sampled every
// 100 steps; after warm-up no tensor count, tensor bytes, tfjs-wasm heap or kernel heap grows (by
// more than 5%, the script's bound; process RSS is reported, not asserted: the GC makes it drift).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect } from "vitest";
import { DATA, haveData } from "./cli-run";
import { repoRoot } from "./helpers";
import { itFull } from "./tier";

describe.skipIf(!haveData)("soak", () => {
  itFull("1,000 tiny steps: tensors and heaps flat after warm-up", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "bench/soak.ts"), "--tiny", "--steps", "1000", "--warmup", "300", "--threads", "2"], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, BYOL_DATA: DATA }, timeout: 580_000 });
    const last = JSON.parse(run.stdout.trim().split("\n").pop()!);
    expect(last.done, run.stderr).toBe(true);
    expect(last.steps).toBe(1000);
    expect(last.grew.filter((k: string) => k !== "rssMB")).toEqual([]);
    expect(last.last.tensors).toBe(last.warmupEnd.tensors);
  }, 600_000);
});
