// The demo page: trains BYOL on Fashion-MNIST in a Web Worker (byol-ts/worker) on the chosen
// backend, so the page stays responsive, charting the loss and the kNN accuracy and drawing the
// test embeddings in 3-D (PCA) as training goes. `window.byolDemo.run(options)` drives it without
// the form (the browser tests and the benchmark).
import { createWorkerTrainer, type WorkerTrainer } from "../src/worker";
import type { BackendInfo } from "../src/backend";
import type { LabelledImageSet } from "../src/data/types";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
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

/** What a run did: per-step loss, time and the worker's live tensor count, and each evaluation. */
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
let running = false;
/** The training worker and the backend it was started with (a new backend needs a new worker). */
let trainer: { worker: WorkerTrainer; backend: DemoOptions["backend"] } | null = null;

async function workerFor(backend: DemoOptions["backend"]): Promise<WorkerTrainer> {
  if (trainer?.backend === backend) return trainer.worker;
  trainer?.worker.terminate();
  trainer = null;
  const worker = await createWorkerTrainer({
    worker: new URL("worker.js", location.href),
    backend: backend === "wasm-threads" ? "wasm" : backend,
    threads: backend === "wasm-threads",
    wasmPaths: new URL("wasm/", location.href).href,
  });
  trainer = { worker, backend };
  return worker;
}

function runConfig(o: DemoOptions): RunConfig {
  return {
    ...DEFAULT_RUN, encoder: { arch: o.encoder, width: o.width, stem: "cifar" }, imageSize: o.imageSize, batchSize: o.batchSize,
    projectionSize: o.projectionSize, projectionHiddenSize: o.projectionHiddenSize, learningRate: o.learningRate,
    warmupSteps: o.warmupSteps, totalSteps: o.steps, seed: o.seed,
    // the default 3×3 grid needs a last feature map of at least 3×3 (both encoders: from 24 px up)
    representation: o.imageSize >= 24 ? DEFAULT_RUN.representation : undefined,
  };
}

/** The test images' representations in 3-D (PCA, computed in the worker), captioned with the kNN accuracy. */
async function drawScatter(worker: WorkerTrainer, test: LabelledImageSet, step: number, accuracy: number): Promise<void> {
  const e = await worker.embed({ images: test.images, width: test.width, height: test.height, channels: 1 });
  const share = e.explainedVarianceRatio.reduce((s, v) => s + v, 0);
  scatter.setPoints(e.projection, test.labels, `${test.n} test images after ${step} steps: PCA 3-D (${(100 * share).toFixed(0)}% of variance), kNN ${(100 * accuracy).toFixed(1)}%`);
}

/** Trains a fresh learner with `options` (defaults above), updating the page; resolves when done or stopped. */
async function run(partial: Partial<DemoOptions> = {}): Promise<DemoReport> {
  if (running) throw new Error("a run is in progress: stop it first");
  running = true;
  const o = { ...DEFAULTS, ...partial };
  fillForm(o);
  try {
    status(`starting the ${o.backend} backend in a worker…`);
    const worker = await workerFor(o.backend);
    const { backend: info, float16Only, notes } = worker.ready;
    status("loading Fashion-MNIST…");
    const [train, test] = await Promise.all([loadSplit("train", o.trainImages, o.files), loadSplit("test", o.testImages, o.files)]);
    const { files: _files, ...shown } = o;
    const report: DemoReport = { backend: info, float16Only, options: shown, losses: [], milliseconds: [], numTensors: [], knn: [] };
    const where = `${info.name}${info.name === "wasm" ? ` (${info.threads} thread${info.threads > 1 ? "s" : ""}, SIMD ${info.simd ? "on" : "off"})` : ""}${notes.length ? ` — ${notes.join("; ")}` : ""}`;
    let drawing = Promise.resolve();
    const unsubscribe = worker.onProgress((p) => {
      if (p.kind === "knn") {
        report.knn.push([p.step, p.accuracy]);
        drawLineChart($("knn"), report.knn, "kNN accuracy", (v) => `${(100 * v).toFixed(1)}%`);
        drawing = drawing.then(() => drawScatter(worker, test, p.step, p.accuracy));
        return;
      }
      report.losses.push(p.loss);
      report.milliseconds.push(p.milliseconds);
      report.numTensors.push(p.numTensors);
      drawLineChart($("loss"), report.losses.map((l, i) => [i + 1, l]), "BYOL loss");
      status(`${where}: step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)}, ${p.milliseconds.toFixed(0)} ms/step`);
    });
    try {
      const result = await worker.start({
        config: runConfig(o),
        // copies: the worker takes the buffers it is given, and these views share the parsed files'
        images: train.images.slice(), labels: train.labels.slice(), width: train.width, height: train.height, channels: 1,
        knn: { every: o.evalEvery > 0 ? o.evalEvery : o.steps, queries: test, bankSize: Math.min(o.bankImages, train.n) },
      });
      await drawing;
      status(`${where}: ${result.stopped ? "stopped" : "done"} after ${result.step} steps, kNN ${(100 * report.knn[report.knn.length - 1][1]).toFixed(1)}%`);
    } finally {
      unsubscribe();
    }
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
const stop = () => trainer?.worker.stop().catch(() => undefined); // nothing to stop is fine
$("stop").addEventListener("click", () => void stop());

/**
 * WebGPU is offered where the browser gives an adapter (the worker asks the same GPU); Chromium on
 * Linux, for one, has none without a flag. The option starts disabled until the answer comes.
 */
async function offerWebgpu(): Promise<void> {
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  const adapter = await gpu?.requestAdapter().catch(() => null);
  const option = $<HTMLFormElement>("config").querySelector<HTMLOptionElement>('option[value="webgpu"]')!;
  option.disabled = !adapter;
  option.textContent = adapter ? "webgpu" : "webgpu (no adapter in this browser)";
}
void offerWebgpu();

/** The page's programmatic handle. */
(window as unknown as { byolDemo: unknown }).byolDemo = { run, stop };
