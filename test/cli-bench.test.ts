// `byol bench --quick --json` through the CLI (a tsx subprocess, as users run it): exit code 0 and
// one JSON report with the backends Node has, every kernel on each, and finite positive timings.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { BenchReport } from "../src/cli/bench-suite";
import { repoRoot } from "./helpers";

describe("byol bench", () => {
  it("--quick --json prints the cross-backend table as JSON", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "bench", "--quick", "--json"], { cwd: repoRoot, encoding: "utf8", timeout: 280_000 });
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout.trim().split("\n").pop()!) as BenchReport;
    expect(report.backends.map((b) => b.name)).toEqual(["wasm", "cpu"]);
    expect(report.unavailable.map((u) => u.backend)).toEqual(expect.arrayContaining(["webgl", "webgpu"]));
    for (const backend of ["wasm", "cpu"]) {
      const kernels = report.rows.filter((r) => r.backend === backend).map((r) => r.kernel);
      expect(new Set(kernels)).toEqual(new Set(["ema", "loss", "step"]));
    }
    expect(report.rows.filter((r) => r.backend === "any").map((r) => r.kernel).sort()).toEqual(["augment", "ema"]);
    for (const r of report.rows) {
      expect(r.ms, r.case).toBeGreaterThan(0);
      expect(Number.isFinite(r.ms)).toBe(true);
      expect(r.samples).toBeGreaterThan(0);
      if (r.kernel === "step" || r.kernel === "augment") expect(r.imagesPerSecond).toBeGreaterThan(0);
      else expect(r.imagesPerSecond).toBeNull();
    }
  }, 300_000);

  it("--step default --json prints the step contract: config, build, threads, phases, load, cpu", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "bench", "--step", "default", "--threads", "2", "--reps", "1", "--json"], { cwd: repoRoot, encoding: "utf8", timeout: 280_000 });
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout.trim().split("\n").pop()!);
    expect(Object.keys(r).sort()).toEqual(["backend", "build", "config", "cpu", "helperBuild", "imagesPerSecond", "load", "node", "phases", "threads"]);
    expect(r).toMatchObject({ config: "default", backend: "wasm", threads: 2 });
    expect(r).toMatchObject({ build: "relaxed-simd", helperBuild: "relaxed-simd-shared" }); // Node 20: byol-ts enables relaxed SIMD
    expect(Object.keys(r.phases).sort()).toEqual(["augment", "ema", "gradients", "optimizer", "total"]);
    for (const ms of Object.values(r.phases) as number[]) expect(ms).toBeGreaterThan(0);
    expect(r.phases.total).toBeGreaterThanOrEqual(r.phases.gradients);
    expect(r.imagesPerSecond).toBeCloseTo((64 * 1000) / r.phases.total, 6);
    expect(r.load).toHaveLength(3);
    const bad = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "bench", "--step", "huge"], { cwd: repoRoot, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--step.*anchor.*default/);
  }, 300_000);

  it("--step --build names the build that ran, and refuses an unknown one", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "bench", "--step", "default", "--build", "simd", "--threads", "2", "--reps", "1", "--json"], { cwd: repoRoot, encoding: "utf8", timeout: 280_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split("\n").pop()!)).toMatchObject({ build: "simd", helperBuild: "simd-shared", threads: 2 });
    expect(run.stderr).toMatch(/backend: wasm \(SIMD on, byol-ts convolutions and matrix products on 2 threads: simd build, helpers simd-shared\)/);
    const bad = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "bench", "--step", "default", "--build", "avx"], { cwd: repoRoot, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--build.*relaxed-simd/);
    const suite = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "bench", "--build", "simd"], { cwd: repoRoot, encoding: "utf8" });
    expect(suite.status).toBe(2);
    expect(suite.stderr).toMatch(/--build simd: only with --step/);
  }, 300_000);

  it("--help describes the flags", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "src/cli/main.ts"), "bench", "--help"], { cwd: repoRoot, encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/--json/);
    expect(run.stdout).toMatch(/--quick/);
  });
});
