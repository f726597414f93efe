// The demo page in headless Chromium: BYOL trains ≥ 20 steps in the page's Web Worker on WebGL
// (SwiftShader without a GPU) and on WASM, the loss falls, the worker's live tensor count stays
// flat, nothing is logged as an error, and a screenshot of the page with its 3-D embedding scatter
// is saved under test-results/. The backend menu offers WebGPU only where the browser has an adapter.
// The user's own pictures: a picked folder of PNGs (and one file that is not an image) trains, its
// points are coloured by sub-folder, and pointing at one shows its picture.
// The demo is not trained on WebGPU here: its kNN monitor reads features synchronously, which
// SwiftShader's WebGPU gets wrong (zeros); the worker's step itself trains there (test/worker.test.ts).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Server } from "node:http";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain ESM scripts without declarations
import { buildDemo } from "../demo/build.mjs";
// @ts-expect-error: plain ESM scripts without declarations
import { startDemoServer } from "../demo/server.mjs";
import { hasChromium, launchChromium, pageWithErrors } from "../dev/chromium";
import { repoRoot } from "./helpers";
import { pngBytes } from "./image-files";

interface Report { backend: { name: string; kernels: string }; float16Only: boolean | null; losses: number[]; numTensors: number[]; knn: [number, number][] }

// Tiny on purpose: SwiftShader renders WebGL on the CPU (~0.3 s a step here at this size).
const CONFIG = { encoder: "small-cnn", width: 4, imageSize: 16, batchSize: 16, steps: 20, learningRate: 2e-3, warmupSteps: 10,
  projectionSize: 32, projectionHiddenSize: 64, evalEvery: 10, trainImages: 1000, testImages: 200, bankImages: 200, seed: 0 };
const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;

/** 32-px RGB PNGs in `dir`/discs and `dir`/bars, `n` of each: a disc or a bar, placed and coloured by i. */
function shapesFolder(dir: string, n: number): void {
  const side = 32;
  for (const kind of ["discs", "bars"]) {
    mkdirSync(join(dir, kind));
    for (let i = 0; i < n; i++) {
      const [cx, cy, hue] = [10 + ((i * 7) % 12), 10 + ((i * 5) % 12), (i * 37) % 200];
      const rgba = new Uint8Array(side * side * 4);
      for (let p = 0; p < side * side; p++) {
        const [x, y] = [p % side, Math.floor(p / side)];
        const inside = kind === "discs" ? (x - cx) ** 2 + (y - cy) ** 2 < 49 : Math.abs(y - cy) < 3;
        rgba.set(inside ? [255 - hue, 55 + hue, 128, 255] : [20, 20, 30, 255], 4 * p);
      }
      writeFileSync(join(dir, kind, `${kind}-${i}.png`), pngBytes(side, side, rgba, 2));
    }
  }
}

describe.skipIf(!hasChromium)("the demo page in Chromium (skipped: /usr/bin/chromium absent)", () => {
  let server: Server;
  let url = "";
  let browser: Browser;
  beforeAll(async () => {
    await buildDemo(join(repoRoot, "build", "demo-test", "main.js")).then(() => undefined);
    ({ server, url } = await startDemoServer({ port: 0, bundleDir: join(repoRoot, "build", "demo-test") }));
    browser = await launchChromium({ webgpu: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
  });

  it("offers WebGPU where the browser gives an adapter, and only there", async () => {
    const withoutFlag = await launchChromium();
    try {
      for (const b of [browser, withoutFlag]) {
        const page = await b.newPage();
        await page.goto(url);
        await page.waitForFunction(() => !document.querySelector('option[value="webgpu"]')!.textContent!.includes("looking"));
        const option = await page.evaluate(async () => {
          const o = document.querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
          const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
          return { disabled: o.disabled, text: o.textContent, adapter: !!(await gpu?.requestAdapter()) };
        });
        // here: an adapter with --enable-unsafe-webgpu (SwiftShader), none without
        console.log(`Chromium ${b === browser ? "with" : "without"} --enable-unsafe-webgpu: adapter ${option.adapter}`);
        expect(option).toEqual(option.adapter ? { disabled: false, text: "webgpu", adapter: true } : { disabled: true, text: "webgpu (no adapter in this browser)", adapter: false });
        await page.close();
      }
    } finally {
      await withoutFlag.close();
    }
  }, 60_000);

  for (const backend of ["webgl", "wasm"] as const) {
    it(`trains 20 steps on ${backend}: the loss falls, tensors do not leak, the 3-D scatter is drawn`, async () => {
      const { page, errors } = await pageWithErrors(browser);
      try {
        await page.goto(url);
        const r = (await page.evaluate((o) => (window as unknown as { byolDemo: { run(o: unknown): Promise<unknown> } }).byolDemo.run(o), { ...CONFIG, backend })) as Report;
        expect(r.backend.name).toBe(backend);
        if (backend === "wasm") expect(r.backend.kernels).toBe("byol-ts");
        if (backend === "webgl") expect(r.float16Only).toBe(false); // SwiftShader renders float32
        expect(r.losses).toHaveLength(20);
        expect(r.losses.every(Number.isFinite)).toBe(true);
        // measured: ~3.8 → ~1.6; a falling loss by a wide margin, not a lucky wiggle
        expect(mean(r.losses.slice(-5))).toBeLessThan(0.75 * mean(r.losses.slice(0, 5)));
        // Adam's moments exist from the first step on: afterwards every step leaves the count unchanged
        expect(new Set(r.numTensors).size).toBe(1);
        expect(r.knn.map(([step]) => step)).toEqual([0, 10, 20]);
        expect(r.knn.every(([, acc]) => acc > 0.1 && acc <= 1)).toBe(true);
        // the scatter holds the test points: coloured pixels left of the legend (axes and text are grey)
        const coloured = await page.evaluate(() => {
          const canvas = document.getElementById("scatter") as HTMLCanvasElement;
          const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width - 120, canvas.height);
          let n = 0;
          for (let i = 0; i < data.length; i += 4) if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) n++;
          return n;
        });
        expect(coloured).toBeGreaterThan(1000); // 200 points of ~15 pixels, some overlapping
        expect(errors).toEqual([]);
        mkdirSync(join(repoRoot, "test-results"), { recursive: true });
        await page.screenshot({ path: join(repoRoot, "test-results", `demo-${backend}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    }, 180_000);
  }

  it("trains on a picked folder of pictures on wasm, skips and names a file that is no image, shows a picture on hover", async () => {
    const dir = mkdtempSync(join(tmpdir(), "byol-pictures-"));
    const { page, errors } = await pageWithErrors(browser);
    try {
      shapesFolder(dir, 20);
      writeFileSync(join(dir, "discs", "notes.txt"), "not a picture\n");
      await page.goto(url);
      await page.setInputFiles("input[name=folder]", dir);
      expect(await page.inputValue("select[name=dataset]")).toBe("pictures");
      const r = (await page.evaluate((o) => {
        const folder = document.querySelector<HTMLInputElement>("input[name=folder]")!;
        return (window as unknown as { byolDemo: { run(o: unknown): Promise<unknown> } }).byolDemo.run({ ...o, pictures: Array.from(folder.files!) });
      }, { ...CONFIG, backend: "wasm", dataset: "pictures", steps: 6, evalEvery: 3 })) as Report;
      expect(r.losses).toHaveLength(6);
      expect(r.losses.every(Number.isFinite)).toBe(true);
      expect(r.knn).toEqual([]);
      const warning = page.locator("#warning");
      expect(await warning.isVisible()).toBe(true);
      expect(await warning.textContent()).toMatch(/^Skipped 1 of the 41 files, .*: [^,]*discs\/notes\.txt\.$/);
      expect(await page.getAttribute("#scatter", "aria-label")).toMatch(/^40 pictures after 6 steps: .* \(40 points\)$/);
      // both folders' colours among the points (left of the legend): blue and orange, however translucent
      const { palette, point } = await page.evaluate(() => {
        const canvas = document.getElementById("scatter") as HTMLCanvasElement;
        const w = canvas.width - 120;
        const { data } = canvas.getContext("2d")!.getImageData(0, 0, w, canvas.height);
        const palette = [0, 0];
        let point: number[] | null = null;
        for (let i = 0; i < data.length; i += 4) {
          const [r, b] = [data[i], data[i + 2]];
          if (b - r < 40 && r - b < 40) continue;
          palette[b > r ? 0 : 1]++;
          point ??= [(i / 4) % w, Math.floor(i / 4 / w)];
        }
        // canvas pixels to page pixels: CSS scales the canvas to its column
        const box = canvas.getBoundingClientRect();
        return { palette, point: point && [box.left + ((point[0] + 0.5) * box.width) / canvas.width, box.top + ((point[1] + 0.5) * box.height) / canvas.height] };
      });
      console.log(`pictures' scatter: ${palette[0]} blue and ${palette[1]} orange pixels`);
      expect(palette.every((n) => n > 60)).toBe(true); // 20 points of ~15 pixels each, some hidden
      expect(point).not.toBeNull();
      await page.mouse.move(point![0], point![1]);
      const hover = page.locator("#hover");
      await hover.waitFor({ state: "visible", timeout: 5000 });
      expect(Number(await hover.getAttribute("data-point"))).toBeGreaterThanOrEqual(0);
      expect(await hover.locator("span").textContent()).toMatch(/\/(discs|bars)\/\1-\d+\.png$/);
      const thumbnail = await hover.locator("canvas").evaluate((c: HTMLCanvasElement) => {
        const { data } = c.getContext("2d")!.getImageData(0, 0, c.width, c.height);
        return { side: c.width, lit: data.filter((v, i) => i % 4 === 0 && v > 100).length };
      });
      expect(thumbnail.side).toBe(64);
      expect(thumbnail.lit).toBeGreaterThan(100); // the shape, not an empty canvas
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
