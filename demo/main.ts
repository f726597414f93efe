// The demo page: trains BYOL in a Web Worker (byol-ts/worker) on the chosen backend, so the page
// stays responsive, on Fashion-MNIST or on the user's own pictures, charting the loss (and on
// Fashion-MNIST the kNN accuracy) and drawing the embeddings in 3-D (PCA) as training goes, each
// point's image shown on hover. `window.byolDemo.run(options)` drives it without the form (the
// browser tests and the benchmark).
import { createWorkerTrainer, type KnnRequest, type WorkerTrainer } from "../src/worker";
import type { BackendInfo } from "../src/backend";
import type { ImageSet } from "../src/data/types";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { showImageOnHover } from "../src/view/hover";
import { Scatter3D, type Colours } from "../src/view/scatter3d";
import { CLASSES, loadSplit } from "./data";
import { drawLineChart } from "./line-chart";
import { loadPictures } from "./pictures";
import { drawImage } from "./thumbnail";

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
  /** Train on Fashion-MNIST or on `pictures`. */
  dataset: "fashion-mnist" | "pictures";
  /** kNN accuracy (Fashion-MNIST) and the 3-D view every this many steps (0: only at the start and the end). */
  evalEvery: number;
  trainImages: number;
  testImages: number;
  /** kNN bank: the first this many training images. */
  bankImages: number;
  seed: number;
  /** Picked IDX files (else fetched from `data/`). */
  files: File[];
  /** The user's image files (`dataset: "pictures"`). */
  pictures: File[];
}

/** What a run did: per-step loss, time and the worker's live tensor count, and each evaluation. */
export interface DemoReport {
  backend: BackendInfo;
  /** WebGL only: true when the GPU renders to float16 textures only (losses near 0 lose precision). */
  float16Only: boolean | null;
  options: Omit<DemoOptions, "files" | "pictures">;
  losses: number[];
  milliseconds: number[];
  numTensors: number[];
  knn: [number, number][];
}

const DEFAULTS: DemoOptions = {
  backend: "auto", encoder: "small-cnn", width: 16, imageSize: 28, batchSize: 64, steps: 500, learningRate: 2e-3, warmupSteps: 10,
  projectionSize: 128, projectionHiddenSize: 512, evalEvery: 25, trainImages: 10000, testImages: 1000, bankImages: 2000, seed: 0, dataset: "fashion-mnist", files: [], pictures: [],
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string) => ($("status").textContent = text);
/** A message that stays up for the whole run (the status line changes every step). */
const warn = (text: string) => (($("warning").textContent = text), ($("warning").hidden = !text));
const scatter = new Scatter3D($<HTMLCanvasElement>("scatter"));
const NO_POINTS = "the embeddings (PCA → 3-D) appear after the first evaluation";
scatter.setPoints(new Float32Array(0), null, NO_POINTS);

/** Gives the scatter as many pixels as it is shown with, so its text stays readable on a phone. */
function fitScatter(): void {
  const canvas = $<HTMLCanvasElement>("scatter");
  canvas.width = canvas.clientWidth;
  canvas.height = Math.max(320, Math.round(0.62 * canvas.clientWidth));
  scatter.draw();
}
addEventListener("resize", fitScatter);
fitScatter();
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

/** What a run trains on, and what its scatter shows. */
interface RunData {
  train: ImageSet;
  /** The images embedded in the scatter, and each one's image on hover, colour and name. */
  shown: ImageSet;
  thumbnails: ImageSet;
  colours: Colours | null;
  name: (i: number) => string;
  /** What the scatter's caption calls the shown images. */
  noun: string;
  /** Fashion-MNIST only: pictures have no labelled test set to vote with. */
  knn?: KnnRequest;
}

async function fashionMnist(o: DemoOptions): Promise<RunData> {
  status("loading Fashion-MNIST…");
  const [train, test] = await Promise.all([loadSplit("train", o.trainImages, o.files), loadSplit("test", o.testImages, o.files)]);
  return {
    train, shown: test, thumbnails: test, colours: { labels: test.labels, classes: CLASSES }, name: (i) => `#${i} ${CLASSES[test.labels[i]]}`, noun: "test images",
    knn: { every: o.evalEvery > 0 ? o.evalEvery : o.steps, queries: test, bankSize: Math.min(o.bankImages, train.n) },
  };
}

// names listed in the warning; a folder full of other files would otherwise fill the page
const LISTED = 10;

async function pictures(o: DemoOptions): Promise<RunData> {
  if (o.pictures.length === 0) throw new Error("no pictures: choose image files or a folder first");
  const p = await loadPictures(o.pictures, o.imageSize, (done) => status(`decoding pictures: ${done} of ${o.pictures.length}…`));
  const more = p.skipped.length > LISTED ? ` and ${p.skipped.length - LISTED} more` : "";
  warn(p.skipped.length ? `Skipped ${p.skipped.length} of the ${o.pictures.length} files, which this browser cannot decode as images: ${p.skipped.slice(0, LISTED).join(", ")}${more}.` : "");
  const { set } = p;
  return { train: set, shown: set, thumbnails: p.thumbnails, colours: set.labels ? { labels: set.labels, classes: set.classes } : null, name: (i) => p.names[i], noun: "pictures" };
}

function runConfig(o: DemoOptions, channels: number): RunConfig {
  return {
    ...DEFAULT_RUN, encoder: { arch: o.encoder, width: o.width, stem: "cifar" }, imageSize: o.imageSize, channels, batchSize: o.batchSize,
    projectionSize: o.projectionSize, projectionHiddenSize: o.projectionHiddenSize, learningRate: o.learningRate,
    warmupSteps: o.warmupSteps, totalSteps: o.steps, seed: o.seed,
    // the default 3×3 grid needs a last feature map of at least 3×3 (both encoders: from 24 px up)
    representation: o.imageSize >= 24 ? DEFAULT_RUN.representation : undefined,
  };
}

/** The shown images' representations in 3-D (PCA, computed in the worker), each showing its image on hover. */
async function drawScatter(worker: WorkerTrainer, data: RunData, step: number, suffix = ""): Promise<void> {
  const { shown } = data;
  const e = await worker.embed({ images: shown.images, width: shown.width, height: shown.height, channels: shown.channels });
  const share = e.explainedVarianceRatio.reduce((s, v) => s + v, 0);
  scatter.setPoints(e.projection, data.colours, `${shown.n} ${data.noun} after ${step} steps: PCA 3-D (${(100 * share).toFixed(0)}% of variance)${suffix}`);
  showImageOnHover(scatter, $("hover"), (i, into) => drawImage(data.thumbnails, i, into), data.name);
}

/** Trains a fresh learner with `options` (defaults above), updating the page; resolves when done or stopped. */
async function run(partial: Partial<DemoOptions> = {}): Promise<DemoReport> {
  if (running) throw new Error("a run is in progress: stop it first");
  running = true;
  const o = { ...DEFAULTS, ...partial };
  fillForm(o);
  warn("");
  scatter.onHover = () => undefined; // the last run's images until this run's points are drawn
  scatter.setPoints(new Float32Array(0), null, NO_POINTS);
  try {
    status(`starting the ${o.backend} backend in a worker…`);
    const worker = await workerFor(o.backend);
    const { backend: info, float16Only, notes } = worker.ready;
    const data = o.dataset === "pictures" ? await pictures(o) : await fashionMnist(o);
    const { train, knn } = data;
    // a handful of pictures still trains: BatchNorm needs 2 images a batch, not 64
    const batchSize = Math.min(o.batchSize, train.n);
    const { files: _files, pictures: _pictures, ...shown } = o;
    const report: DemoReport = { backend: info, float16Only, options: { ...shown, batchSize }, losses: [], milliseconds: [], numTensors: [], knn: [] };
    const where = `${info.name}${info.name === "wasm" ? ` (${info.threads} thread${info.threads > 1 ? "s" : ""}, SIMD ${info.simd ? "on" : "off"})` : ""}${notes.length ? ` — ${notes.join("; ")}` : ""}`;
    const every = o.evalEvery > 0 ? o.evalEvery : o.steps;
    $("knn").hidden = !knn;
    let drawing = Promise.resolve();
    let drawnAt = -1;
    const redraw = (step: number, suffix?: string) => {
      drawnAt = step;
      drawing = drawing.then(() => drawScatter(worker, data, step, suffix));
    };
    const unsubscribe = worker.onProgress((p) => {
      if (p.kind === "knn") {
        report.knn.push([p.step, p.accuracy]);
        drawLineChart($("knn"), report.knn, "kNN accuracy", (v) => `${(100 * v).toFixed(1)}%`);
        redraw(p.step, `, kNN ${(100 * p.accuracy).toFixed(1)}%`);
        return;
      }
      report.losses.push(p.loss);
      report.milliseconds.push(p.milliseconds);
      report.numTensors.push(p.numTensors);
      drawLineChart($("loss"), report.losses.map((l, i) => [i + 1, l]), "BYOL loss");
      status(`${where}: step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(4)}, ${p.milliseconds.toFixed(0)} ms/step`);
      if (!knn && p.step % every === 0) redraw(p.step);
    });
    try {
      const result = await worker.start({
        config: runConfig({ ...o, batchSize }, train.channels),
        // copies: the worker takes the buffers it is given, and these views share the parsed files'
        images: train.images.slice(), labels: knn && train.labels?.slice(), width: train.width, height: train.height, channels: train.channels, knn,
      });
      if (drawnAt !== result.step) redraw(result.step);
      await drawing;
      const accuracy = report.knn.length ? `, kNN ${(100 * report.knn[report.knn.length - 1][1]).toFixed(1)}%` : "";
      const batch = batchSize < o.batchSize ? ` (batch ${batchSize}: all ${train.n} pictures)` : "";
      status(`${where}: ${result.stopped ? "stopped" : "done"} after ${result.step} steps${batch}${accuracy}`);
    } finally {
      unsubscribe();
    }
    return report;
  } finally {
    running = false;
  }
}

const field = (name: string) => $<HTMLFormElement>("config").elements.namedItem(name) as HTMLInputElement;
const FORM_FIELDS = ["dataset", "backend", "encoder", "width", "imageSize", "batchSize", "steps", "learningRate", "evalEvery", "trainImages", "testImages"] as const;

/** Shows the options a run uses in the form (runs started from script pass their own). */
function fillForm(o: DemoOptions): void {
  for (const name of FORM_FIELDS) field(name).value = String(o[name]);
}

function formOptions(): Partial<DemoOptions> {
  const o: Record<string, unknown> = Object.fromEntries(FORM_FIELDS.map((name) => [name, field(name).type === "number" ? Number(field(name).value) : field(name).value]));
  return { ...o, files: Array.from(field("files").files ?? []), pictures: [field("pictures"), field("folder")].flatMap((input) => Array.from(input.files ?? [])) };
}

// picking pictures means training on them
for (const name of ["pictures", "folder"]) field(name).addEventListener("change", () => (field("dataset").value = "pictures"));

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
