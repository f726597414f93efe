// The universal data and evaluation code in a real browser: IDX gunzip through DecompressionStream,
// the kNN monitor, the .npy writer and canvas images, bundled with tfjs and run in headless Chromium (cpu backend).
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";
import { knnPredict } from "../src/eval";
import { parseIdx } from "../src/io";
import { repoRoot } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const entry = `
import * as tf from "@tensorflow/tfjs";
import { knnPredict, encodeNpy, decodeNpy } from "./src/eval";
import { parseIdxAsync, imageSetFromRgba, rgbaOfImage } from "./src/io";
window.run = async (gzBase64, train, labels, test) => {
  await tf.setBackend("cpu");
  const gz = Uint8Array.from(atob(gzBase64), (c) => c.charCodeAt(0));
  const idx = await parseIdxAsync(gz, "t10k-labels-idx1-ubyte.gz");
  const pred = knnPredict({ data: Float32Array.from(train), shape: [train.length / 4, 4] }, labels, { data: Float32Array.from(test), shape: [test.length / 4, 4] }, { k: 5 });
  const npy = decodeNpy(encodeNpy(Float32Array.of(1, 2, 3), [3]));
  let truncated = "";
  try { await parseIdxAsync(gz.subarray(0, 100), "cut.gz"); } catch (e) { truncated = e.message; }
  const pixels = new ImageData(new Uint8ClampedArray([255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255, 255, 255, 255]), 2, 2);
  const bitmap = await createImageBitmap(pixels);
  const drawn = imageSetFromRgba([rgbaOfImage(bitmap), pixels], { size: 2 });
  return { drawn: Array.from(drawn.images), shape: idx.shape, head: Array.from(idx.data.subarray(0, 10)), pred: Array.from(pred), npy: Array.from(npy.data), truncated, backend: tf.getBackend() };
};`;

describe.skipIf(!existsSync(CHROMIUM))("in Chromium", () => {
  it("parses gzip IDX, runs the kNN and round-trips .npy like Node does", async () => {
    const dir = mkdtempSync(join(tmpdir(), "byol-browser-"));
    await build({ stdin: { contents: entry, resolveDir: repoRoot, loader: "ts" }, bundle: true, format: "iife", platform: "browser", outfile: join(dir, "bundle.js"), logLevel: "silent" });
    const gzPath = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
    const gz = readFileSync(gzPath);
    const train = Array.from({ length: 40 * 4 }, (_, i) => Math.sin(i * 1.7));
    const labels = Array.from({ length: 40 }, (_, i) => i % 3);
    const test = Array.from({ length: 6 * 4 }, (_, i) => Math.cos(i * 0.9));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage();
      await page.addScriptTag({ path: join(dir, "bundle.js") });
      const out = await page.evaluate(([g, a, b, c]) => (window as unknown as { run: (...x: unknown[]) => Promise<Record<string, unknown>> }).run(g, a, b, c), [gz.toString("base64"), train, labels, test] as const);
      const { gunzipSync } = await import("node:zlib");
      const node = parseIdx(gunzipSync(gz), gzPath);
      await setBackend("cpu"); // byol-ts registers no backend on import
      expect(out.shape).toEqual([10000]);
      expect(out.head).toEqual(Array.from(node.data.subarray(0, 10)));
      expect(out.pred).toEqual(Array.from(knnPredict({ data: Float32Array.from(train), shape: [40, 4] }, labels, { data: Float32Array.from(test), shape: [6, 4] }, { k: 5 })));
      expect(out.npy).toEqual([1, 2, 3]);
      expect(out.truncated).toContain("cut.gz: corrupt gzip data");
      expect(out.backend).toBe("cpu");
      const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
      expect(out.drawn).toEqual([...rgb, ...rgb]); // canvas read-back of a bitmap = the ImageData itself
    } finally {
      await browser.close();
    }
  });
});
