// The BYOL training step in headless Chromium (the demo page on WebGPU, WebGL and WASM) next to Node's
// backends, same config, same data, same step (augmentation, forward, backward, optimizer, EMA,
// loss read back). Time per step is the median after warm-up steps.
//
//   npm run bench:browser -- [--setups node-wasm,wasm,wasm-threads,webgl,webgpu,node-cpu] [--width 16] [--size 28]
//                            [--batch 32] [--hidden 512] [--projection 128] [--encoder small-cnn] [--steps 8] [--warmup 2]
//
// node-cpu (tfjs' plain-JS backend) takes many seconds a step: ask for it by name. Ratios are
// against the first setup. WebGL and WebGPU in headless Chromium without a GPU run on SwiftShader
// (on the CPU): their numbers are a floor, a real GPU is far faster. WebGPU needs Chromium's
// --enable-unsafe-webgpu on Linux (the harness passes it).
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import type { DemoOptions, DemoReport } from "../demo/main";
// @ts-expect-error: plain ESM scripts without declarations
import { buildDemo } from "../demo/build.mjs";
// @ts-expect-error: plain ESM scripts without declarations
import { startDemoServer } from "../demo/server.mjs";
import { setBackend } from "../src/backend";
import { batchStream, gatherImages } from "../src/data/batches";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner, representationFits } from "../src/train/setup";
import { launchChromium } from "../test/browser-harness";
import { repoRoot } from "../test/helpers";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const setups = arg("setups", "node-wasm,wasm,wasm-threads,webgl").split(",");
const steps = Number(arg("steps", "8"));
const warmup = Number(arg("warmup", "2"));
const config = {
  encoder: arg("encoder", "small-cnn") as DemoOptions["encoder"], width: Number(arg("width", "16")), imageSize: Number(arg("size", "28")),
  batchSize: Number(arg("batch", "32")), projectionSize: Number(arg("projection", "128")), projectionHiddenSize: Number(arg("hidden", "512")), learningRate: 2e-3, warmupSteps: 0, seed: 0,
};
const TRAIN_IMAGES = 2000;

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** Milliseconds per step in Node on `backend`, the demo's loop without the page. */
async function inNode(backend: "wasm" | "cpu"): Promise<number[]> {
  await setBackend(backend);
  const train = await loadFashionMnist({ split: "train", limit: TRAIN_IMAGES });
  const run: RunConfig = { ...DEFAULT_RUN, ...config, encoder: { arch: config.encoder, width: config.width, stem: "cifar" }, totalSteps: steps };
  if (!representationFits(run)) run.representation = undefined; // as the demo: small images keep the tap
  const learner = await buildLearner(run);
  const stream = batchStream(train.n, config.batchSize, { seed: 0 });
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const batch = stream.next().value!;
    const t0 = performance.now();
    learner.step({ images: gatherImages(train, batch.indices), n: batch.indices.length, height: train.height, width: train.width, channels: 1 });
    times.push(performance.now() - t0);
  }
  learner.dispose();
  tf.disposeVariables();
  return times.slice(warmup);
}

const results: { setup: string; ms: number; detail: string }[] = [];
for (const s of setups.filter((s) => s.startsWith("node-"))) {
  const times = await inNode(s.slice(5) as "wasm" | "cpu");
  results.push({ setup: s, ms: median(times), detail: "Node 20" });
  console.error(`${s}: ${median(times).toFixed(0)} ms/step`);
}
const browserSetups = setups.filter((s) => !s.startsWith("node-"));
if (browserSetups.length) {
  const bundleDir = join(repoRoot, "build", "demo-bench");
  await buildDemo(join(bundleDir, "main.js"));
  const { server, url } = await startDemoServer({ port: 0, bundleDir });
  const browser = await launchChromium({ webgpu: true });
  try {
    for (const backend of browserSetups) {
      const page = await browser.newPage();
      await page.goto(url);
      const options = { ...config, backend, steps: warmup + steps, evalEvery: 0, trainImages: TRAIN_IMAGES, testImages: 64, bankImages: 64 };
      const r = (await page.evaluate((o) => (window as unknown as { byolDemo: { run(o: unknown): Promise<DemoReport> } }).byolDemo.run(o), options)) as DemoReport;
      const times = r.milliseconds.slice(warmup);
      // the adapter the page gets is the one its worker trained on
      const adapter = await page.evaluate(async () => {
        const a = await (navigator as { gpu?: { requestAdapter(): Promise<{ info: { vendor: string; architecture: string } } | null> } }).gpu?.requestAdapter();
        return a ? `${a.info.vendor} ${a.info.architecture}` : "none";
      });
      const detail = `Chromium ${browser.version()}, ${r.backend.name}${r.backend.name === "wasm" ? ` ${r.backend.threads} thread(s)` : ""}${r.backend.name === "webgl" ? " (SwiftShader)" : ""}${r.backend.name === "webgpu" ? ` (adapter: ${adapter})` : ""}`;
      results.push({ setup: `browser-${backend}`, ms: median(times), detail });
      console.error(`browser-${backend}: ${median(times).toFixed(0)} ms/step`);
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
}

console.log(`\nBYOL step, ${config.encoder} width ${config.width}, ${config.imageSize}×${config.imageSize}×1, batch ${config.batchSize}, projector/predictor ${config.projectionHiddenSize}→${config.projectionSize}; median of ${steps} steps after ${warmup} warm-up\n`);
console.log("| setup | where | ms/step | images/s | vs first |");
console.log("|---|---|---:|---:|---:|");
for (const r of results) {
  console.log(`| ${r.setup} | ${r.detail} | ${r.ms.toFixed(0)} | ${((1000 * config.batchSize) / r.ms).toFixed(0)} | ${(results[0].ms / r.ms).toFixed(2)}× |`);
}
