// The demo page: trains BYOL on Fashion-MNIST in the browser on the chosen backend, charting the
// loss and the kNN accuracy and drawing the test embeddings in 3-D (PCA) as training goes.
// `window.byolDemo.run(options)` drives it without the form (the browser tests and the benchmark).
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
// the page offers WebGPU: an app that wants it imports the backend (byol-ts does not bundle it)
import "@tensorflow/tfjs-backend-webgpu";
import { FASHION_MNIST_STATS, batchStream, gatherImages, knnAccuracy, pca, setBackend, type BackendInfo, type LabelledImageSet } from "../src/index";
import type { BYOL } from "../src/byol";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { learningRateAt } from "../src/train/schedules";
import { buildLearner } from "../src/train/setup";
import { CLASSES, loadSplit } from "./data";
import { drawLineChart } from "./line-chart";
import { Scatter3D } from "../src/view/scatter3d";

/** What a demo run trains, on what, and how often it evaluates. */
export interface DemoOptions {
  backend: "auto" | "webgl" | "wasm" | "wasm-threads" | "webgpu" | "cpu";
  encoder: "small-cnn" | "resnet18";
  width: number;
  imageSize: number;
  batchSize: number;
  steps: number;
  learningRate: number;
  warmupSteps: number;
  projectionSize: number;
  projectionHiddenSize: number;
  /** kNN accuracy and the 3-D view every this many steps (0: only at the start and the end). */
  evalEvery: number;
  trainImages: number;
  testImages: number;
  /** kNN bank: the first this many training images. */
  bankImages: number;
  seed: number;
  /** Picked IDX files (else fetched from `data/`). */
  files: File[];
}

/** What a run did: per-step loss, time and live tensor count, and each evaluation. */
export interface DemoReport {
  backend: BackendInfo;
  /** WebGL only: true when the GPU renders to float16 textures only (losses near 0 lose precision). */
  float16Only: boolean | null;
  options: Omit<DemoOptions, "files">;
  losses: number[];
  milliseconds: number[];
  numTensors: number[];
  knn: [number, number][];
}

const DEFAULTS: DemoOptions = {
  backend: "auto", encoder: "small-cnn", width: 16, imageSize: 28, batchSize: 64, steps: 500, learningRate: 2e-3, warmupSteps: 10,
  projectionSize: 128, projectionHiddenSize: 512, evalEvery: 25, trainImages: 10000, testImages: 1000, bankImages: 2000, seed: 0, files: [],
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => ($("status").textContent = text);
const scatter = new Scatter3D($<HTMLCanvasElement>("scatter"), CLASSES);
scatter.setPoints(new Float32Array(0), null, "test embeddings (PCA → 3-D) appear after the first evaluation");
let stopRequested = false;
let running = false;
let learner: BYOL | null = null;

async function startBackend(name: DemoOptions["backend"]): Promise<{ info: BackendInfo; float16Only: boolean | null }> {
  setWasmPaths(new URL("wasm/", location.href).href);
  const info = await setBackend(name === "wasm-threads" ? "wasm" : name, { wasmThreads: name === "wasm-threads" });
  const float16Only = info.name === "webgl" ? !tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") : null;
  return { info, float16Only };
}

function runConfig(o: DemoOptions): RunConfig {
  return {
    ...DEFAULT_RUN, encoder: { arch: o.encoder, width: o.width, stem: "cifar" }, imageSize: o.imageSize, batchSize: o.batchSize,
    projectionSize: o.projectionSize, projectionHiddenSize: o.projectionHiddenSize, learningRate: o.learningRate,
    warmupSteps: o.warmupSteps, totalSteps: o.steps, seed: o.seed,
    // the default 3×3 grid needs a last feature map of at least 3×3 (both encoders: from 24 px up)
    tap: o.imageSize >= 24 ? DEFAULT_RUN.tap : "avgpool",
  };
}

/** kNN accuracy of the test images against the bank, and their representation in 3-D. */
async function evaluate(bank: LabelledImageSet, test: LabelledImageSet, step: number, report: DemoReport): Promise<void> {
  if (!learner) return;
  const normalization = { mean: [...FASHION_MNIST_STATS.mean], std: [...FASHION_MNIST_STATS.std] };
  const f = learner.representationSize;
  const bankFeatures = { data: (await learner.embed(bank, { normalization })).representation, shape: [bank.n, f] as [number, number] };
  const testFeatures = { data: (await learner.embed(test, { normalization })).representation, shape: [test.n, f] as [number, number] };
  const acc = knnAccuracy(bankFeatures, bank.labels, testFeatures, test.labels, { k: Math.min(200, bank.n), temperature: 0.1, numClasses: 10 });
  report.knn.push([step, acc]);
  drawLineChart($("knn"), report.knn, "kNN accuracy", (v) => `${(100 * v).toFixed(1)}%`);
  const p = pca(testFeatures, 3);
  const share = Array.from(p.explainedVarianceRatio).reduce((s, v) => s + v, 0);
  scatter.setPoints(p.projected.data, test.labels, `${test.n} test images after ${step} steps: PCA 3-D (${(100 * share).toFixed(0)}% of variance), kNN ${(100 * acc).toFixed(1)}%`);
}

/** Trains a fresh learner with `options` (defaults above), updating the page; resolves when done or stopped. */
async function run(partial: Partial<DemoOptions> = {}): Promise<DemoReport> {
  if (running) throw new Error("a run is in progress: stop it first");
  running = true;
  stopRequested = false;
  const o = { ...DEFAULTS, ...partial };
  fillForm(o);
  try {
    status(`starting the ${o.backend} backend…`);
    const { info, float16Only } = await startBackend(o.backend);
    status("loading Fashion-MNIST…");
    const [train, test] = await Promise.all([loadSplit("train", o.trainImages, o.files), loadSplit("test", o.testImages, o.files)]);
    const bank: LabelledImageSet = { ...train, n: Math.min(o.bankImages, train.n) };
    bank.images = train.images.subarray(0, bank.n * train.height * train.width);
    bank.labels = train.labels.subarray(0, bank.n);
    learner?.dispose();
    learner = await buildLearner(runConfig(o));
    const { files: _files, ...shown } = o;
    const report: DemoReport = { backend: info, float16Only, options: shown, losses: [], milliseconds: [], numTensors: [], knn: [] };
    const where = `${info.name}${info.name === "wasm" ? ` (${info.threads} thread${info.threads > 1 ? "s" : ""}, SIMD ${info.simd ? "on" : "off"})` : ""}${float16Only ? " — float16 textures only" : ""}`;
    await evaluate(bank, test, 0, report);
    const stream = batchStream(train.n, o.batchSize, { seed: o.seed });
    for (let step = 0; step < o.steps && !stopRequested; step++) {
      const batch = stream.next().value!;
      const images = gatherImages(train, batch.indices);
      const t0 = performance.now();
      const r = learner.step({ images, n: batch.indices.length, height: train.height, width: train.width, channels: 1 }, learningRateAt(step, { base: o.learningRate, warmupSteps: o.warmupSteps, totalSteps: o.steps }));
      report.milliseconds.push(performance.now() - t0);
      report.losses.push(r.loss);
      report.numTensors.push(tf.memory().numTensors);
      drawLineChart($("loss"), report.losses.map((l, i) => [i + 1, l]), "BYOL loss");
      status(`${where}: step ${step + 1}/${o.steps}, loss ${r.loss.toFixed(4)}, ${report.milliseconds[step].toFixed(0)} ms/step`);
      if (o.evalEvery > 0 && (step + 1) % o.evalEvery === 0 && step + 1 < o.steps) await evaluate(bank, test, step + 1, report);
      await tf.nextFrame();
    }
    await evaluate(bank, test, report.losses.length, report);
    status(`${where}: ${stopRequested ? "stopped" : "done"} after ${report.losses.length} steps, kNN ${(100 * report.knn[report.knn.length - 1][1]).toFixed(1)}%`);
    return report;
  } finally {
    running = false;
  }
}

const field = (name: string) => $<HTMLFormElement>("config").elements.namedItem(name) as HTMLInputElement;
const FORM_FIELDS = ["backend", "encoder", "width", "imageSize", "batchSize", "steps", "learningRate", "evalEvery", "trainImages", "testImages"] as const;

/** Shows the options a run uses in the form (runs started from script pass their own). */
function fillForm(o: DemoOptions): void {
  for (const name of FORM_FIELDS) field(name).value = String(o[name]);
}

function formOptions(): Partial<DemoOptions> {
  const o: Record<string, unknown> = Object.fromEntries(FORM_FIELDS.map((name) => [name, field(name).type === "number" ? Number(field(name).value) : field(name).value]));
  return { ...o, files: Array.from(field("files").files ?? []) };
}

$("config").addEventListener("submit", (e) => {
  e.preventDefault();
  $<HTMLButtonElement>("start").disabled = true;
  $<HTMLButtonElement>("stop").disabled = false;
  run(formOptions())
    .catch((err: Error) => status(`error: ${err.message}`))
    .finally(() => {
      $<HTMLButtonElement>("start").disabled = false;
      $<HTMLButtonElement>("stop").disabled = true;
    });
});
$("stop").addEventListener("click", () => (stopRequested = true));

/** The page's programmatic handle. */
(window as unknown as { byolDemo: unknown }).byolDemo = { run, stop: () => (stopRequested = true), tf };
