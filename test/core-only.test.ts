// byol-ts runs on tfjs-core and tfjs-layers alone (what an app bundling it gets, src/tf.ts): a
// process importing byol-ts' sources with core, layers and the cpu and wasm backends, never the
// @tensorflow/tfjs umbrella, trains with each optimizer, embeds and fits a probe. Without
// the umbrella tfjs registers no chained tensor ops (x.mul(y)), so a chained call left in byol-ts or
// tfjs-layers fails here; `npm run typecheck` finds those in byol-ts (tsconfig.core.json) too.
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers";

/** Runs test/core-only-run.ts and returns the JSON it reports on its last line. */
async function run(...args: string[]): Promise<Record<string, any>> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(repoRoot, "test/core-only-run.ts"), ...args], { cwd: repoRoot });
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("byol-ts without the @tensorflow/tfjs umbrella", () => {
  // ~6 s of CPU; the budget leaves room for a loaded machine
  it("trains with adam, lars and sgd, embeds and probes on cpu, trains on wasm with its kernels; no chained ops registered", async () => {
    const [alone, umbrella] = await Promise.all([run(), run("--umbrella")]);
    expect(alone.chained).toBe(false);
    expect(alone.tfjsModules.sort()).toEqual([
      "@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.node.js",
      "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.node.js",
      "@tensorflow/tfjs-core/dist/tf-core.node.js",
      "@tensorflow/tfjs-layers/dist/tf-layers.node.js",
    ]);
    for (const name of ["adam", "lars", "sgd"]) {
      expect(alone.runs[name], name).toMatchObject({ finiteGrads: true, weightsFinite: true, embedFinite: true });
      expect([alone.runs[name].loss, alone.runs[name].trainLoss].every(Number.isFinite), name).toBe(true);
    }
    expect([alone.probe, alone.knn]).toEqual([8, 8]);
    expect(alone.wasm).toBe("byol-ts");
    expect(Number.isFinite(alone.wasmLoss)).toBe(true);
    // the same checks see the umbrella when it is loaded: the run above cannot pass by not looking
    expect(umbrella.chained).toBe(true);
    expect(umbrella.tfjsModules).toContain("@tensorflow/tfjs/dist/tf.node.js");
  }, 60_000);
});
