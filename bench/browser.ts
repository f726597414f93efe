// The BYOL training step in headless Chromium (the demo page on WebGPU, WebGL and WASM) next to Node's
// backends, same config, same data, same step (augmentation, forward, backward, optimizer, EMA,
// loss read back). Time per step is the median after warm-up steps.
//
//   npm run bench:browser -- [--setups node-wasm,wasm,wasm-threads,webgl,webgpu,page-wasm,page-webgl,page-webgpu,node-cpu] [--width 16] [--size 28]
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
import { loadFashionMnist } from "../src/data/fashion-mnist";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner, createTrainer, disposeLearner, representationFits } from "../src/train/setup";
import { bundle, launchChromium, repoRoot, serveFiles } from "../dev/chromium";

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
  const trainer = await createTrainer(run, learner, train);
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) times.push((await trainer.step()).milliseconds);
  trainer.dispose();
  disposeLearner(learner);
  tf.disposeVariables();
  return times.slice(warmup);
}

const results: { setup: string; ms: number; detail: string }[] = [];
for (const s of setups.filter((s) => s.startsWith("node-"))) {
  const times = await inNode(s.slice(5) as "wasm" | "cpu");
  results.push({ setup: s, ms: median(times), detail: "Node 20" });
  console.error(`${s}: ${median(times).toFixed(0)} ms/step`);
}
const browserSetups = setups.filter((s) => !s.startsWith("node-") && !s.startsWith("page-"));
if (browserSetups.length) {
  const bundleDir = join(repoRoot, "build", "demo-bench");
  await buildDemo(join(bundleDir, "main.js"));
  const { server, url } = await startDemoServer({ port: 0, bundleDir });
  try {
    for (const backend of browserSetups) {
      // a browser per setup: after another WebGPU page in the same browser, SwiftShader's WebGPU
      // gave no adapter or failed to map buffers (createBuffer … mappedAtCreation)
      const browser = await launchChromium({ webgpu: backend === "webgpu" });
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
      await browser.close();
    }
  } finally {
    server.close();
  }
}

// The step without the demo and its worker, in a page: the Trainer with fixed views standing in for
// the augmentation; the encoder is the small CNN whatever --encoder says; the time ends when the
// target's updated weights are read back.
const pageEntry = `
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { setBackend } from "./src/backend";
import { BYOL } from "./src/byol";
import { smallCnn } from "./src/nets/small-cnn";
import { Trainer } from "./src/train/trainer";
window.timeSteps = async (backend, c, n) => {
  setWasmPaths("/wasm/");
  const info = await setBackend(backend);
  const encoder = smallCnn({ inputSize: c.imageSize, channels: 1, width: c.width, seed: 0 });
  const learner = await BYOL.create({ encoder, imageSize: c.imageSize, channels: 1, projectionSize: c.projectionSize, projectionHiddenSize: c.projectionHiddenSize, seed: 0 });
  const [view1, view2] = [1, 2].map((k) => Float32Array.from({ length: c.batchSize * c.imageSize ** 2 }, (_, i) => ((i * 7919 * k) % 1000) / 1000));
  const data = { images: new Uint8Array(c.batchSize * c.imageSize ** 2), n: c.batchSize, height: c.imageSize, width: c.imageSize, channels: 1, classes: [] };
  const trainer = await Trainer.create({ learner, data, augment: () => ({ view1, view2 }), batchSize: c.batchSize, totalSteps: n, learningRate: c.learningRate });
  const times = [], losses = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    losses.push((await trainer.step()).loss);
    await learner.networks.target.encoder.weights[0].read().data();
    times.push(performance.now() - t0);
  }
  trainer.dispose();
  learner.dispose();
  encoder.dispose();
  const adapter = backend === "webgpu" ? (await navigator.gpu.requestAdapter()).info : null;
  return { times, losses, threads: info.threads, adapter: adapter && adapter.vendor + " " + adapter.architecture };
};`;
const pageSetups = setups.filter((s) => s.startsWith("page-"));
if (pageSetups.length) {
  const { server, origin } = await serveFiles({
    "/index.html": { body: '<link rel="icon" href="data:,"><script src="/page.js"></script>', type: "text/html" },
    "/page.js": { body: await bundle(pageEntry), type: "text/javascript" },
  });
  try {
    for (const setup of pageSetups) {
      const backend = setup.slice(5);
      const browser = await launchChromium({ webgpu: backend === "webgpu" });
      const page = await browser.newPage();
      await page.goto(`${origin}/index.html`);
      type PageSteps = { times: number[]; losses: number[]; threads: number; adapter: string | null };
      const r = await page.evaluate(([b, c, n]) => (window as unknown as { timeSteps(...a: unknown[]): Promise<PageSteps> }).timeSteps(b, c, n), [backend, config, warmup + steps] as const);
      const times = r.times.slice(warmup);
      const detail = `Chromium ${browser.version()}, page, ${backend}${backend === "wasm" ? ` ${r.threads} thread(s)` : ""}${backend === "webgl" ? " (SwiftShader)" : ""}${r.adapter ? ` (adapter: ${r.adapter})` : ""}; losses ${r.losses[0].toFixed(3)} → ${r.losses[r.losses.length - 1].toFixed(3)}`;
      results.push({ setup, ms: median(times), detail });
      console.error(`${setup}: ${median(times).toFixed(0)} ms/step`);
      await browser.close();
    }
  } finally {
    server.close();
  }
}

console.log(`\nBYOL step, ${config.encoder} width ${config.width}, ${config.imageSize}×${config.imageSize}×1, batch ${config.batchSize}, projector/predictor ${config.projectionHiddenSize}→${config.projectionSize}; median of ${steps} steps after ${warmup} warm-up\n`);
console.log("| setup | where | ms/step | images/s | vs first |");
console.log("|---|---|---:|---:|---:|");
for (const r of results) {
  console.log(`| ${r.setup} | ${r.detail} | ${r.ms.toFixed(0)} | ${((1000 * config.batchSize) / r.ms).toFixed(0)} | ${(results[0].ms / r.ms).toFixed(2)}× |`);
}
