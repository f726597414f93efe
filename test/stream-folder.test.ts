// Folders larger than --cache-mb: decoded into the run's image cache piece by piece, and streamed
// from there batch by batch — the same steps as from memory, bit for bit, and (full tier) 50,000
// images trained under a cap with the process's memory bounded. In process: no child start-up cost.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../src/cli/args";
import { train } from "../src/cli/train";
import { parseSafetensors } from "../src/io/safetensors";
import { DATA, haveData } from "./cli-run";
import { twoClassFolder } from "./image-files";
import { memoryGrowth } from "./memory-peaks";
import { itFull } from "./tier";

const dir = mkdtempSync(join(tmpdir(), "byol-stream-"));
const tiny = ["--arch", "small-cnn", "--width", "4", "--batch", "32", "--eval-every", "0", "--backend", "wasm", "--threads", "1", "--quiet"];

/** Runs `byol train` in process; resolves to what it said on stderr. */
async function trainHere(args: string[]): Promise<string> {
  let said = "";
  vi.spyOn(process.stderr, "write").mockImplementation((text: string | Uint8Array) => ((said += text), true));
  expect(await train([...tiny, ...args])).toBe(0);
  vi.restoreAllMocks();
  return said;
}

const lossesOf = (out: string): number[] => JSON.parse(readFileSync(join(out, "results.json"), "utf8")).history.map((h: { loss: number }) => h.loss);

afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(dir, { recursive: true, force: true })); // 50,000 files in the full tier

describe("byol train --cache-mb", () => {
  it("streams a folder above the cap from its image cache, taking the same steps as from memory", async () => {
    const images = join(dir, "small");
    twoClassFolder(images, 256, 8); // 16 KiB decoded
    const [memory, streamed] = [join(dir, "memory"), join(dir, "streamed")];
    const run = ["--data", images, "--steps", "2", "--final", "knn"];
    expect(await trainHere([...run, "--out", memory])).not.toMatch(/streams/);
    const said = await trainHere([...run, "--out", streamed, "--cache-mb", "0.01"]);
    expect(said).toContain(`data: 256 images (8×8×1) from ${images}, 0.0 MiB decoded, above --cache-mb 0.01: training streams them from ${join(streamed, "images.cache")}`);
    expect(said).toMatch(/^evaluation: a sample of 163 images in 2 classes: 130 bank, 33 held out$/m);
    expect(said).toMatch(/^kNN accuracy \(k 200, cosine, T 0\.1\): /m);
    expect(lossesOf(streamed)).toEqual(lossesOf(memory));
    const weights = (out: string) => parseSafetensors(readFileSync(join(out, "checkpoint.safetensors"))).tensors;
    const [a, b] = [weights(memory), weights(streamed)];
    for (const name of Object.keys(a).filter((k) => k.startsWith("online."))) expect(b[name].data, name).toEqual(a[name].data);
    // a second run reads the streamed cache back
    const again = await trainHere([...run, "--out", streamed, "--cache-mb", "0.01", "--overwrite"]);
    expect(again).toContain("training streams them from");
    expect(lossesOf(streamed)).toEqual(lossesOf(memory));
  }, 120_000); // three short runs: ~10 s, more on a shared machine

  it.skipIf(!haveData)("is for image folders only", async () => {
    await expect(train(["--data", DATA, "--cache-mb", "10"])).rejects.toThrow(new UsageError(`--cache-mb 10: for image folders only; ${DATA} is IDX data, used at its own size`));
  });

  itFull("trains on 50,000 images under a 2 MiB cap with the process's memory bounded", async () => {
    const images = join(dir, "large");
    twoClassFolder(images, 50_000, 16, true); // 36.6 MiB decoded: in memory it would be held twice (data and kernels)
    const out = join(dir, "large-run");
    const warm = join(dir, "warm");
    twoClassFolder(warm, 64, 16, true);
    await trainHere(["--data", warm, "--steps", "2", "--final", "none", "--out", join(dir, "warm-run")]); // tfjs and the kernels at their working size
    // peaks of the resident set and of the live ArrayBuffers (where pixels live), sampled while the command awaits
    const growth = await memoryGrowth(async () => {
      const said = await trainHere(["--data", images, "--steps", "5", "--final", "knn", "--cache-mb", "2", "--out", out]);
      expect(said).toContain("50000 images (16×16×3)");
      expect(said).toMatch(/36\.6 MiB decoded, above --cache-mb 2: training streams them/);
      expect(said).toMatch(/^evaluation: a sample of 2730 images in 2 classes/m);
    });
    expect(lossesOf(out)).toHaveLength(5);
    // The set is 36.6 MiB decoded: held in memory, the live ArrayBuffers grow by at least that and
    // the resident set by ~300 MiB (measured once). Streamed: a batch and the 2 MiB evaluation
    // sample, and the resident set ~55 MiB (the bookkeeping of 50,000 files).
    expect(growth.arrayBuffers).toBeLessThan(16);
    expect(growth.rss).toBeLessThan(150);
  }, 900_000);
});
