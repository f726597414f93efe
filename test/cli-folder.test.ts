// The CLI on users' own images, in process (no child start-up cost): train → eval → embed →
// similar on a class-folder tree of Fashion-MNIST PNGs and on an unlabelled RGB folder, and the
// bad-input cases that stop a command (or only warn).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { embedCommand } from "../src/cli/embed";
import { evalCommand } from "../src/cli/evaluate";
import { similarCommand } from "../src/cli/similar";
import { loadRunData } from "../src/cli/data";
import { train } from "../src/cli/train";
import { DEFAULT_RUN } from "../src/train/config";
import { readCheckpointInfo } from "../src/train/checkpoint";
import type { RunConfig } from "../src/train/config";
import { DATA, haveData } from "./cli-run";
import { fashionFolder } from "./image-files";

const dir = mkdtempSync(join(tmpdir(), "byol-cli-folder-"));
const tree = join(dir, "tree");
const rgb = join(dir, "rgb");
const run = join(dir, "run");
const tiny = ["--arch", "small-cnn", "--width", "8", "--backend", "wasm", "--threads", "1", "--quiet"];

/** Runs a command in process; returns what it printed to stdout and stderr. */
async function cli(command: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(console, "log").mockImplementation((line: string) => void (stdout += line + "\n"));
  vi.spyOn(process.stderr, "write").mockImplementation((text: string | Uint8Array) => ((stderr += text), true));
  const code = await command(argv);
  return { code, stdout, stderr };
}

const configOf = (out: string) => readCheckpointInfo(new Uint8Array(readFileSync(join(out, "checkpoint.safetensors"))), out).config as RunConfig;

afterEach(() => vi.restoreAllMocks());

describe.skipIf(!haveData)("byol on a folder of images", () => {
  let files: string[];
  beforeAll(async () => {
    files = await fashionFolder(DATA, tree, 300);
    writeFileSync(join(tree, "0-T-shirt-top", "zero.png"), ""); // one bad file: warned about, skipped
    await fashionFolder(DATA, rgb, 48, true);
  });

  it("trains on class folders (labels only for evaluation), then eval, embed and similar rebuild its preprocessing", async () => {
    const t = await cli(train, ["--data", tree, ...tiny, "--batch", "32", "--steps", "3", "--out", run, "--final", "knn", "--eval-every", "3"]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain(`warning: ${join(tree, "0-T-shirt-top", "zero.png")}: not a PNG or JPEG image (empty file, 0 bytes)`);
    expect(t.stderr).toMatch(/data: 300 images \(28×28×1\) in 10 classes .*evaluation: 240 bank, 60 held out/);
    expect(t.stderr).toMatch(/kNN before training \(monitor: 240 bank, 60 queries\)/);
    const config = configOf(run);
    expect([config.imageSize, config.channels]).toEqual([28, 1]);
    expect(config.data).toEqual({ format: "images", path: tree, fit: "crop" });

    const e = await cli(evalCommand, ["--checkpoint", run, "--data", tree, "--json", "--threads", "1"]);
    expect(e.code, e.stderr).toBe(0);
    const acc = JSON.parse(e.stdout);
    expect(Object.keys(acc).sort()).toEqual(["knn", "linear"]);
    expect(acc.knn).toBeGreaterThan(0.2); // 10 classes: chance is 0.1
    expect(acc.linear).toBeGreaterThan(0.2);
    expect(existsSync(join(run, "images.cache"))).toBe(true); // eval read the images train decoded
    expect(e.stderr).toContain(`warning: ${join(tree, "0-T-shirt-top", "zero.png")}`); // its warnings replayed

    const csv = join(dir, "emb.csv");
    const m = await cli(embedCommand, ["--checkpoint", run, "--out", csv, "--threads", "1"]); // the run's own folder
    expect(m.code, m.stderr).toBe(0);
    const lines = readFileSync(csv, "utf8").trim().split("\n");
    expect(lines[0]).toBe("d0,d1,d2,label,class");
    expect(lines).toHaveLength(301);

    // a copy of one image, outside the folder: its original is the best match
    const outside = join(dir, "query.png");
    copyFileSync(files[5], outside);
    const s = await cli(similarCommand, ["--checkpoint", run, "--data", tree, "--query", outside, "--k", "4", "--json", "--threads", "1"]);
    expect(s.code, s.stderr).toBe(0);
    const found = JSON.parse(s.stdout);
    expect(found.query).toBe(outside);
    expect(found.results).toHaveLength(4);
    expect(found.results[0].path).toBe(files[5]);
    expect(found.results[0].similarity).toBeCloseTo(1, 4);
    const sims = found.results.map((r: { similarity: number }) => r.similarity);
    expect([...sims].sort((a, b) => b - a)).toEqual(sims);
    // a query inside the folder is never its own result
    const inside = await cli(similarCommand, ["--checkpoint", run, "--query", files[5], "--k", "3", "--json", "--threads", "1"]);
    expect(JSON.parse(inside.stdout).results.map((r: { path: string }) => r.path)).not.toContain(files[5]);
  });

  it("trains on an unlabelled RGB folder at another size, padded, and reports z-std and effective rank", async () => {
    const out = join(dir, "rgb-run");
    const t = await cli(train, ["--data", rgb, ...tiny, "--image-size", "16", "--fit", "pad", "--limit", "40", "--batch", "16", "--steps", "2", "--out", out, "--final", "full"]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/data: 40 images \(16×16×3\) from .*, unlabelled/);
    expect(t.stderr).not.toMatch(/kNN before training/);
    expect(t.stderr).toMatch(/nearest neighbour of .*img\d+\.png: .*img\d+\.png \(cosine /);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8"));
    expect(results.zStd).toBeGreaterThan(0);
    const config = configOf(out);
    expect([config.imageSize, config.channels, config.limit]).toEqual([16, 3, 40]);
    expect(config.data).toEqual({ format: "images", path: rgb, fit: "pad" });
    // normalized with the folder's own statistics, not ImageNet's
    expect(config.normalization?.mean).toHaveLength(3);
    expect(config.normalization?.mean).not.toEqual([0.485, 0.456, 0.406]);

    const e = await cli(evalCommand, ["--checkpoint", out, "--json", "--threads", "1"]);
    expect(e.code, e.stderr).toBe(0);
    const spread = JSON.parse(e.stdout);
    expect(Object.keys(spread).sort()).toEqual(["effectiveRank", "zStd"]);
    expect(spread.effectiveRank).toBeGreaterThan(1);
    expect(spread.zStd).toBeGreaterThan(0);
  });

  it("reads the data of a checkpoint from before image folders (no config.data) as Fashion-MNIST", async () => {
    const old: RunConfig = { ...DEFAULT_RUN };
    delete old.data;
    vi.stubEnv("BYOL_DATA", DATA);
    const data = await loadRunData(old, { limit: 50, testLimit: 20 });
    vi.unstubAllEnvs();
    expect([data.train.n, data.split?.test.n, data.train.height, data.train.channels]).toEqual([50, 20, 28, 1]);
  });

  it("stops on bad input with a one-line message naming the file, flag and value, losing nothing", async () => {
    for (const size of ["0", "10000"]) {
      await expect(train(["--data", tree, ...tiny, "--image-size", size, "--out", join(dir, "never")])).rejects.toThrow(`--image-size must be an integer ≥ 8 and ≤ 1024, got "${size}"`);
    }
    await expect(train(["--data", DATA, "--channels", "3", "--out", join(dir, "never")])).rejects.toThrow(`--channels 3: for image folders only; ${DATA} is IDX data`);
    const missing = join(dir, "no-such.png");
    await expect(similarCommand(["--checkpoint", run, "--query", missing])).rejects.toThrow(`--query ${missing}: no such file`);

    // a folder of only unreadable files: the run stops before writing, the checkpoint already there stays
    const bad = join(dir, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "a.png"), "");
    writeFileSync(join(bad, "b.jpg"), "text");
    const before = readFileSync(join(run, "checkpoint.safetensors"));
    const quiet = await cli(async (argv) => train(argv).catch((e: Error) => (console.log(e.message), 1)), ["--data", bad, ...tiny, "--steps", "2", "--out", run, "--overwrite"]);
    expect(quiet.code).toBe(1);
    expect(quiet.stdout.trim()).toBe(`${bad}: none of its 2 image files can be used (the first: ${join(bad, "a.png")}: not a PNG or JPEG image (empty file, 0 bytes))`);
    expect(readFileSync(join(run, "checkpoint.safetensors")).equals(before)).toBe(true);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    await expect(train(["--data", empty, ...tiny, "--out", join(dir, "never")])).rejects.toThrow(`${empty}: no PNG or JPEG images`);
    expect(existsSync(join(dir, "never", "checkpoint.safetensors"))).toBe(false);
  });
});
