// The README's library example (examples/train-in-memory.ts) runs as it stands, in its own
// process as a user would run it, so the README cannot describe an API that has moved on.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers";

describe("examples/train-in-memory.ts", () => {
  it("trains a few steps, embeds every image and leaves no tensor behind", () => {
    // "byol-ts" resolves to the sources through tsconfig's paths (tsx reads them)
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "examples/train-in-memory.ts")], { cwd: repoRoot, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const losses = [...run.stdout.matchAll(/^step \d+\/5: loss (\S+)$/gm)].map((m) => Number(m[1]));
    expect(losses).toHaveLength(5);
    for (const loss of losses) expect(loss).toBeGreaterThan(0);
    expect(run.stdout).toMatch(/^representation: 64 × 32$/m);
    expect(run.stdout).toMatch(/^tensors left: 0$/m);
  }, 120_000); // ~5 s of work; more when the machine is shared
});
