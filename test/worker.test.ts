// Training in a Web Worker (byol-ts/worker) in headless Chromium, one browser for the file: 30
// steps on wasm with the loss falling, the worker's tensor count flat and the page's main thread
// free of long tasks; a checkpoint saved mid-run resumed in a new worker with the same losses; bad
// input rejected with errors that name the field and value, the worker usable afterwards; WebGL in
// the worker. Then the same API in Node on worker_threads.
import { build } from "esbuild";
import type { Server } from "node:http";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpointInfo } from "../src/train/checkpoint";
import { createWorkerTrainer } from "../src/worker";
import { bundle, hasChromium, launchChromium, pageWithErrors, serveFiles } from "../dev/chromium";
import { repoRoot } from "./helpers";
import { CONFIG, dataset } from "./worker-page";

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
/** The Chromium worker's losses and kernel build, for the Node worker to match. */
let browserLosses: number[] | undefined;
let browserBuild: string | null | undefined;
type Tests = Record<"trainWasm" | "resumeElsewhere" | "badInputs" | "trainWebgl" | "trainWebgpu", () => Promise<never>>;

describe.skipIf(!hasChromium)("training in a Web Worker, in Chromium (skipped: /usr/bin/chromium absent)", () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const run = <T>(name: keyof Tests): Promise<T> => page.evaluate((n) => (window as unknown as { workerTests: Tests }).workerTests[n](), name);
  let checkpoint: Uint8Array;
  let pageUrl: string;

  beforeAll(async () => {
    let origin: string;
    ({ server, origin } = await serveFiles({
      "/index.html": { body: '<link rel="icon" href="data:,"><script src="/page.js"></script>', type: "text/html" },
      "/page.js": { body: await bundle('import { workerTests } from "./test/worker-page"; Object.assign(window, { workerTests });'), type: "text/javascript" },
      "/worker.js": { body: await bundle('import { serveTrainer } from "./src/worker"; serveTrainer();'), type: "text/javascript" },
      // what the README tells an app that wants WebGPU to write
      "/worker-webgpu.js": { body: await bundle('import "@tensorflow/tfjs-backend-webgpu"; import { serveTrainer } from "./src/worker"; serveTrainer();'), type: "text/javascript" },
    }));
    pageUrl = `${origin}/index.html`;
    browser = await launchChromium();
    ({ page, errors } = await pageWithErrors(browser));
    await page.goto(`${origin}/index.html`);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
  });

  it("trains 30 steps on wasm in a worker: the loss falls, tensors stay flat, the main thread has no task over 50 ms", async () => {
    const r = await run<{
      ready: { backend: { name: string; kernels: string; threads: number }; notes: string[]; crossOriginIsolated: boolean };
      result: { step: number; stopped: boolean }; losses: number[]; numTensors: number[]; knn: [number, number][]; rates: number[];
      maxGap: number; seconds: number; longTasks: unknown[]; control: number[]; checkpoint: number[];
    }>("trainWasm");
    expect(r.ready.backend).toMatchObject({ name: "wasm", kernels: "byol-ts" });
    expect(r.ready.crossOriginIsolated).toBe(true); // the harness serves COOP/COEP
    expect(r.result).toEqual({ step: 30, totalSteps: 30, stopped: false });
    expect(r.losses).toHaveLength(30);
    // measured: ~3.9 → ~1.4
    expect(mean(r.losses.slice(-5))).toBeLessThan(0.75 * mean(r.losses.slice(0, 5)));
    expect(new Set(r.numTensors).size).toBe(1);
    expect(r.knn.map(([step]) => step)).toEqual([0, 15, 30]);
    expect(r.knn.every(([, acc]) => acc > 0.25 && acc <= 1)).toBe(true);
    expect(r.rates.every((v) => v > 0 && Number.isFinite(v))).toBe(true);
    // "Responsive" is no main-thread task over 50 ms (the long-task threshold) while the worker
    // trains; the observer does see one made on purpose. Measured (2 cores at load average 7–9 from
    // other work): no long task in 10 runs of 1.1–2.3 s. The worst gap between the page's timer
    // ticks was 10–74 ms: waits for a core while no task ran (a task that long would be reported),
    // so the margin to 50 ms is set by the machine's load, not by the page's work.
    expect(r.control.some((d) => d >= 80)).toBe(true);
    expect(r.longTasks).toEqual([]);
    checkpoint = new Uint8Array(r.checkpoint);
    // the bytes `byol train` writes: its format, config and data position
    const info = readCheckpointInfo(checkpoint, "worker checkpoint");
    expect(info.step).toBeGreaterThanOrEqual(12);
    expect(info).toMatchObject({ config: { encoder: { arch: "small-cnn", width: 4 }, totalSteps: 30 }, position: { epoch: expect.any(Number), batch: expect.any(Number) } });
    expect((info.history as unknown[]).length).toBe(info.step);
    expect(errors).toEqual([]);
    browserLosses = r.losses;
    browserBuild = (r.ready.backend as { kernelBuild?: string | null }).kernelBuild;
    console.log(`worker on wasm: ${r.seconds.toFixed(1)} s for 30 steps, worst timer gap ${r.maxGap.toFixed(1)} ms, ${r.ready.backend.threads} tfjs thread(s)`);
  }, 60_000);

  it("a checkpoint saved mid-run continues in a new worker with the uninterrupted run's losses (and keeps in IndexedDB)", async () => {
    const r = await run<{ loaded: number; result: { step: number }; resumed: number[]; reference: number[]; absent: null }>("resumeElsewhere");
    expect(r.loaded).toBeGreaterThanOrEqual(12);
    expect(r.result.step).toBe(30);
    expect(r.resumed).toEqual(r.reference);
    expect(r.absent).toBeNull();
  }, 60_000);

  it("rejects bad input with the field and value, and the worker stays usable", async () => {
    const r = await run<Record<string, string>>("badInputs");
    expect(r.length).toMatch(/^start: images\.length is 1000, not a positive multiple of height × width × channels = 16 × 16 × 1 = 256$/);
    expect(r.channels).toBe("start: channels is 3, but the run's config.channels is 1");
    expect(r.labels).toBe("start: labels.length is 5, expected one label per image (256)");
    expect(r.architecture).toMatch(/^load: the checkpoint's config\.encoder\.width is 8, this worker's run has 4/);
    expect(r.notCheckpoint).toMatch(/^load: checkpoint: /);
    expect(r.backend).toMatch(/unknown backend "nope"/);
    expect(r.secondStart).toMatch(/^start: a run is already in progress/);
    expect(JSON.parse(r.firstRun)).toEqual({ step: 3, totalSteps: 30, stopped: false });
    expect(r.stopInFirstStep).toBe("start: stopped by stop() before step 1 of 30 completed; nothing was trained");
    expect(JSON.parse(r.stopReply)).toEqual({ step: 0 });
    expect(r.stopIdle).toBe("stop: no run in progress");
    expect(JSON.parse(r.afterwards)).toEqual({ step: 2, totalSteps: 30, stopped: false });
    expect(JSON.parse(r.embed)).toEqual({ n: 100, dims: 128, projection: 300, finite: true }); // the default grid2 representation: 2 × 2 × 32
  }, 60_000);

  it("trains 10 steps on WebGL inside the worker (OffscreenCanvas, SwiftShader without a GPU)", async () => {
    const r = await run<{ skipped?: string; ready: { backend: { name: string }; float16Only: boolean }; losses: number[] }>("trainWebgl");
    expect(r.skipped).toBeUndefined();
    expect(r.ready.backend.name).toBe("webgl");
    expect(r.ready.float16Only).toBe(false);
    expect(r.losses).toHaveLength(10);
    expect(r.losses.every(Number.isFinite)).toBe(true);
    expect(errors).toEqual([]);
  }, 60_000);

  // SwiftShader's WebGPU (a software floor: seconds per step) in a browser of its own, as
  // bench/browser.ts found two WebGPU pages in one browser unreliable there
  it("trains on WebGPU inside the worker: the wasm run's losses within 1e-3", async () => {
    const gpuBrowser = await launchChromium({ webgpu: true });
    try {
      const { page: gpuPage, errors: gpuErrors } = await pageWithErrors(gpuBrowser);
      await gpuPage.goto(pageUrl);
      const r = await gpuPage.evaluate(() => (window as unknown as { workerTests: Tests }).workerTests.trainWebgpu()) as unknown as { skipped?: string; ready: { backend: { name: string } }; losses: number[] };
      expect(r.skipped).toBeUndefined();
      expect(r.ready.backend.name).toBe("webgpu");
      expect(r.losses).toHaveLength(3);
      r.losses.forEach((loss, i) => expect(Math.abs(loss - browserLosses![i]) / browserLosses![i], `step ${i + 1}: webgpu ${loss}, wasm ${browserLosses![i]}`).toBeLessThan(1e-3));
      expect(gpuErrors).toEqual([]);
    } finally {
      await gpuBrowser.close();
    }
  }, 180_000);
});

describe("the same API in Node on worker_threads", () => {
  it("trains, saves and embeds through a worker thread", async () => {
    const script = join(repoRoot, "build", "worker-test", "node-worker.mjs");
    await build({
      stdin: { contents: 'import { parentPort } from "node:worker_threads"; import { serveTrainer } from "./src/worker"; serveTrainer(parentPort);', resolveDir: repoRoot, loader: "ts" },
      bundle: true, format: "esm", platform: "node", outfile: script, external: ["@tensorflow/*"], logLevel: "silent",
    });
    const t = await createWorkerTrainer({ worker: new Worker(script), backend: "wasm" });
    try {
      expect(t.ready.backend).toMatchObject({ name: "wasm", kernels: "byol-ts" });
      expect(t.ready.notes).toEqual(["wasm runs single-threaded: tfjs-wasm has no threads in Node"]);
      const losses: number[] = [];
      t.onProgress((p) => void (p.kind === "step" && losses.push(p.loss)));
      expect(await t.start({ config: CONFIG, ...dataset(), untilStep: 5 })).toEqual({ step: 5, totalSteps: 30, stopped: false });
      expect(losses).toHaveLength(5);
      // the same kernels on the same seeds: the browser worker's first steps (when it ran), bit for
      // bit unless relaxed SIMD ran, whose multiply-adds each engine may fuse or not
      const nodeBuild = (t.ready.backend as { kernelBuild?: string | null }).kernelBuild;
      if (browserLosses && browserBuild === nodeBuild && !nodeBuild?.startsWith("relaxed")) expect(losses).toEqual(browserLosses.slice(0, 5));
      else if (browserLosses) losses.forEach((l, i) => expect(Math.abs(l - browserLosses![i]), `step ${i + 1}`).toBeLessThan(1e-4 * browserLosses![i]));
      expect(readCheckpointInfo(await t.save(), "node worker checkpoint").step).toBe(5);
      const e = await t.embed({ ...dataset(), images: dataset().images.slice(0, 50 * 256) });
      expect([e.n, e.dims, e.projection.length]).toEqual([50, 128, 150]); // grid2 of the 2×2×32 map
      await expect(t.start({ config: CONFIG, ...dataset(), channels: 3 })).rejects.toThrow("start: channels is 3, but the run's config.channels is 1");
    } finally {
      t.terminate();
    }
  }, 60_000);
});
