// `byol export`: the tfjs folder loads in a program that imports only @tensorflow/tfjs and gives
// byol-ts' representation; the torchvision state dict loads back strictly to the same weights; bad
// input fails with one clear line. Child processes only where they are the point (the plain-tfjs
// program, the CLI's exit codes): each costs seconds of start-up.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { UsageError } from "../src/cli/args";
import { exportCommand } from "../src/cli/export";
import type { Learner } from "../src/learner";
import { parseSafetensorsFile } from "../src/io/files";
import { loadTorchvisionWeights } from "../src/io/torchvision";
import { serializeCheckpoint } from "../src/train/checkpoint";
import { writeCheckpointFile } from "../src/train/checkpoint-file";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildEncoder, buildLearner } from "../src/train/setup";
import { byol, type Run } from "./cli-run";
import { randn, relL2, repoRoot, rng } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "byol-export-"));
const heads = { projectionSize: 8, projectionHiddenSize: 16 };
/** The default run's small CNN with its 3×3 grid representation, and a ResNet-18 at its global pool. */
const RUNS: Record<string, RunConfig> = {
  cnn: { ...DEFAULT_RUN, ...heads, encoder: { arch: "small-cnn", width: 4, stem: "cifar" }, imageSize: 12, channels: 1, tap: "grid3", representation: undefined },
  resnet: { ...DEFAULT_RUN, ...heads, encoder: { arch: "resnet18", width: 2, stem: "cifar" }, imageSize: 8, channels: 3, tap: "avgpool", representation: undefined },
};
const learners: Record<string, Learner> = {};
const ck = (name: string) => join(dir, name);

/** Random weights and BN statistics far from their initial 1s and 0s, so the BN conversion shows. */
function randomize(model: tf.LayersModel, seed: number): void {
  const r = rng(seed);
  model.weights.forEach((w, i) => {
    const n = w.shape.reduce((a, b) => a! * b!, 1) as number;
    const positive = /(gamma|moving_variance)$/.test(w.originalName);
    const values = positive ? Float32Array.from({ length: n }, () => 0.5 + r()) : randn(n, seed + i, 0.3);
    w.write(tf.tensor(values, w.shape as number[]));
  });
}

/** Runs the loader script with plain node (no tsx, no byol-ts): one output per (folder, inputs file). */
function loadPlain(pairs: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, "test/export-load.mjs"), ...pairs], { cwd: repoRoot });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs `byol export` in this process; resolves to what it said on stderr. */
async function exportHere(args: string[]): Promise<string> {
  const said: string[] = [];
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((text) => said.push(String(text)) > 0);
  try {
    expect(await exportCommand([...args, "--backend", "cpu"])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  return said.join("");
}

beforeAll(async () => {
  await tf.setBackend("cpu");
  for (const [name, config] of Object.entries(RUNS)) {
    const learner = (learners[name] = await buildLearner(config));
    randomize(learner.onlineEncoder!, 100 + name.length);
    writeCheckpointFile(ck(name), await serializeCheckpoint(learner, { step: 3, position: { epoch: 0, batch: 0 }, optimizer: { step: 3, slots: {} } }, { config }));
  }
});

describe("byol export", () => {
  it("writes tfjs folders that plain tfjs loads, giving byol-ts' representation", async () => {
    const cnnOut = join(dir, "cnn-tfjs");
    const resnetOut = join(dir, "resnet-tfjs");
    // --overwrite replaces an earlier export, and its weights file goes
    mkdirSync(resnetOut);
    writeFileSync(join(resnetOut, "weights.0123456789abcdef.bin"), "stale");
    const cli = await byol(["export", "--checkpoint", ck("cnn"), "--format", "tfjs", "--out", cnnOut, "--backend", "cpu"]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/wrote .*cnn-tfjs: 144-d grid3 representation, relative L2 \S+ from byol-ts'/);
    await exportHere(["--checkpoint", ck("resnet"), "--format", "tfjs", "--out", resnetOut, "--overwrite"]);
    const files = readdirSync(resnetOut);
    expect(files).toHaveLength(2);
    expect(files).toContain("model.json");
    expect(files.find((f) => f !== "model.json")).toMatch(/^weights\.[0-9a-f]{16}\.bin$/);
    expect(readFileSync(join(cnnOut, "model.json"), "utf8")).not.toMatch(/TorchBatchNorm/);

    const pairs: string[] = [];
    const want: Float32Array[] = [];
    for (const [name, out] of [["cnn", cnnOut], ["resnet", resnetOut]]) {
      const { imageSize: s, channels: c } = RUNS[name];
      const x = randn(3 * s * s * c, 7);
      writeFileSync(join(dir, `${name}.f32`), x);
      pairs.push(out, join(dir, `${name}.f32`));
      const input = tf.tensor4d(x, [3, s, s, c]);
      want.push((await learners[name].embed(input)).representation);
      input.dispose();
    }
    const plain = await loadPlain(pairs);
    expect(plain.code, plain.stderr).toBe(0);
    const got = plain.stdout.trim().split("\n").map((line) => JSON.parse(line) as { shape: number[]; data: number[] });
    expect(got.map((g) => g.shape)).toEqual([[3, 144], [3, 16]]);
    got.forEach((g, i) => expect(relL2(g.data, want[i])).toBeLessThan(1e-5));
  });

  it("writes torchvision state dicts that load back strictly to the same weights", async () => {
    const outs = { cnn: join(dir, "cnn.safetensors"), resnet: join(dir, "resnet.safetensors") };
    const said = { cnn: "", resnet: "" };
    for (const [name, out] of Object.entries(outs)) said[name as keyof typeof outs] = await exportHere(["--checkpoint", ck(name), "--format", "torchvision", "--out", out]);
    expect(said.cnn).toMatch(/load with SmallCnn\(width=4, channels=1, depth=1, stages=2\) of docs\/export\.md, strict=True/);
    expect(said.resnet).toMatch(/load with ByolResNet\(depth=18, width=2, channels=3, stem="cifar"\) of docs\/export\.md, strict=True/);
    for (const [name, out] of Object.entries(outs)) {
      const { tensors, metadata } = parseSafetensorsFile(out);
      expect(JSON.parse(metadata.encoder)).toEqual(RUNS[name].encoder);
      expect(Object.keys(tensors)).toContain("bn1.running_var");
      const fresh = buildEncoder(RUNS[name]);
      loadTorchvisionWeights(fresh, tensors);
      const trained = new Map(learners[name].onlineEncoder!.weights.map((w) => [w.originalName, w.read().dataSync()]));
      expect(fresh.weights.length).toBe(trained.size);
      for (const w of fresh.weights) expect(w.read().dataSync(), w.originalName).toEqual(trained.get(w.originalName));
      fresh.dispose();
    }
    expect(Object.keys(parseSafetensorsFile(outs.resnet).tensors)).toContain("layer2.0.downsample.1.running_mean");
  });

  it("rejects bad input with one clear line naming the file or flag", async () => {
    const [missing, format] = await Promise.all([
      byol(["export", "--checkpoint", join(dir, "nosuch"), "--format", "tfjs", "--out", join(dir, "x"), "--backend", "cpu"]),
      byol(["export", "--checkpoint", ck("cnn"), "--format", "onnx", "--out", join(dir, "y")]),
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^byol export: error: checkpoint .*nosuch\/checkpoint\.safetensors: no such file/m);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/^byol export: --format must be one of tfjs, torchvision, got "onnx"/m);
    expect(existsSync(join(dir, "x")) || existsSync(join(dir, "y"))).toBe(false);

    const taken = join(dir, "taken.safetensors");
    writeFileSync(taken, "not ours");
    const usage = (args: string[]) => exportCommand(["--checkpoint", ck("cnn"), ...args]);
    await expect(usage(["--format", "torchvision", "--out", taken])).rejects.toThrow(new UsageError(`${taken} exists: pass --overwrite to replace it, or another --out`));
    expect(readFileSync(taken, "utf8")).toBe("not ours");
    await expect(usage(["--format", "torchvision", "--out", "z.pt"])).rejects.toThrow(new UsageError('--out must name a .safetensors file for --format torchvision, got "z.pt"'));
    await expect(usage(["--out", "z"])).rejects.toThrow(new UsageError("--format is required: tfjs or torchvision"));
    await expect(usage(["--format", "tfjs"])).rejects.toThrow(new UsageError("--out is required: the folder to write"));
  });
});
