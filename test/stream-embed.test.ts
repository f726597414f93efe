// eval, embed and similar on a folder above --cache-mb: embedded batch by batch from the run's image
// cache — the same features as from memory, bit for bit, bad files still named — and the decoded
// images never all in memory at once. In process: no child start-up cost.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { embedCommand } from "../src/cli/embed";
import { evalCommand } from "../src/cli/evaluate";
import { similarCommand } from "../src/cli/similar";
import { train } from "../src/cli/train";
import { twoClassFolder } from "./image-files";
import { memoryGrowth } from "./memory-peaks";
import { itFull } from "./tier";

const dir = mkdtempSync(join(tmpdir(), "byol-stream-embed-"));
const quick = ["--backend", "wasm", "--threads", "1"];

/** Runs a command in process; resolves to what it printed on stdout and stderr. */
async function cli(command: (argv: string[]) => Promise<number>, argv: string[]): Promise<{ stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  vi.spyOn(console, "log").mockImplementation((line: string) => void (stdout += line + "\n"));
  vi.spyOn(process.stderr, "write").mockImplementation((text: string | Uint8Array) => ((stderr += text), true));
  expect(await command(argv)).toBe(0);
  vi.restoreAllMocks();
  return { stdout, stderr };
}

/** A tiny checkpoint trained 2 steps on `images`, in `out`. */
const trainOn = (images: string, out: string) =>
  cli(train, ["--data", images, "--arch", "small-cnn", "--width", "4", "--batch", "32", "--steps", "2", "--eval-every", "0", "--final", "none", "--quiet", "--out", out, ...quick]);

afterEach(() => vi.restoreAllMocks());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("eval, embed and similar --cache-mb", () => {
  it("stream a folder above the cap from the image cache, with the features of the in-memory path", async () => {
    const images = join(dir, "small");
    twoClassFolder(images, 256, 8);
    const bad = join(images, "dark", "000100x.png"); // mid-folder, between good files
    writeFileSync(bad, "not a png");
    const run = join(dir, "run");
    await trainOn(images, run);
    const cap = ["--cache-mb", "0.01"]; // 16 KiB decoded: above it
    const npy = (name: string) => join(dir, name);
    await cli(embedCommand, ["--checkpoint", run, "--dims", "0", "--out", npy("memory.npy"), ...quick]);
    const streamed = await cli(embedCommand, ["--checkpoint", run, "--dims", "0", "--out", npy("streamed.npy"), ...cap, ...quick]);
    expect(streamed.stderr).toContain(`above --cache-mb 0.01: embedding streams them from ${join(run, "images.cache")}`);
    expect(streamed.stderr).toContain(`warning: ${bad}: `); // the bad file named, replayed from the cache
    expect(readFileSync(npy("streamed.npy"))).toEqual(readFileSync(npy("memory.npy")));

    const evalArgs = ["--checkpoint", run, "--json", "--no-linear", ...quick];
    const scored = await cli(evalCommand, [...evalArgs, ...cap]);
    expect(scored.stderr).toMatch(/^evaluation: all of them in 2 classes: 205 bank, 51 held out$/m);
    expect(JSON.parse(scored.stdout)).toEqual(JSON.parse((await cli(evalCommand, evalArgs)).stdout));

    const query = ["--checkpoint", run, "--query", join(images, "light", "000001.png"), "--k", "5", "--json", ...quick];
    expect(JSON.parse((await cli(similarCommand, [...query, ...cap])).stdout)).toEqual(JSON.parse((await cli(similarCommand, query)).stdout));
  }, 120_000);

  itFull("embed holds a batch of decoded images, not the folder", async () => {
    const images = join(dir, "large");
    twoClassFolder(images, 6000, 32, true); // 17.6 MiB decoded
    const run = join(dir, "large-run");
    const warm = join(dir, "warm");
    twoClassFolder(warm, 300, 32, true);
    await trainOn(warm, run);
    const embed = (cap: string[]) => cli(embedCommand, ["--checkpoint", run, "--data", images, "--dims", "0", "--out", join(dir, "large.npy"), ...cap, ...quick]);
    await cli(embedCommand, ["--checkpoint", run, "--dims", "0", "--out", join(dir, "warm.npy"), ...quick]); // tfjs and the kernels at their working size
    await embed(["--cache-mb", "1"]); // the image cache written, and the streamed path's buffers at their size
    const streamed = await memoryGrowth(() => embed(["--cache-mb", "1"]));
    const memory = await memoryGrowth(() => embed([]));
    console.log(`embed of 6000 images, peak growth (MiB): streamed ${JSON.stringify(streamed)}, in memory ${JSON.stringify(memory)}`);
    // The decoded folder is 17.6 MiB: the in-memory path's resident peak holds it, the streamed
    // one's a batch of 256 (0.75 MiB). Peaks are the kernel's high-water mark (embedding does not
    // yield to the sampler); the streamed run goes first, so one-time growth counts against it.
    expect(memory.rss - streamed.rss).toBeGreaterThan(12);
  }, 300_000); // ~40 s alone, ~110 s on a loaded machine
});
