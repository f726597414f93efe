// The page of test/worker.test.ts: drives training workers (the bundle of src/worker served as
// /worker.js) and records what the main thread went through meanwhile. Bundled with a line that
// puts `workerTests` on window (the package is side-effect free, so an import alone is dropped).
import { createWorkerTrainer, loadCheckpointFromIndexedDB, saveCheckpointToIndexedDB, type Progress, type RunConfigInput, type WorkerTrainer } from "../src/worker";

const SIZE = 16;
const N = 256;

/** The tiny run of the tests: small CNN width 4, 16×16 greyscale, batch 16. */
export const CONFIG: RunConfigInput = {
  encoder: { arch: "small-cnn", width: 4 }, imageSize: SIZE, channels: 1, tap: "avgpool",
  batchSize: 16, totalSteps: 30, warmupSteps: 5, projectionSize: 32, projectionHiddenSize: 64, seed: 3,
};

/** N seeded 16×16 images of four kinds (horizontal, vertical, checkered, inverted ramps) with noise; labels the kind. */
export function dataset(): { images: Uint8Array; labels: Uint8Array; width: number; height: number; channels: number } {
  let seed = 7;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const images = new Uint8Array(N * SIZE * SIZE);
  const labels = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const kind = (labels[i] = i % 4);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const v = kind === 0 ? x * 16 : kind === 1 ? y * 16 : kind === 2 ? ((x >> 2) + (y >> 2)) % 2 * 220 : 255 - x * 16;
        images[(i * SIZE + y) * SIZE + x] = Math.min(255, v * (0.6 + 0.4 * random()) + 30 * random());
      }
    }
  }
  return { images, labels, width: SIZE, height: SIZE, channels: 1 };
}

const worker = (backend: "wasm" | "webgl" | "webgpu") =>
  createWorkerTrainer({ worker: new Worker(backend === "webgpu" ? "/worker-webgpu.js" : "/worker.js"), backend, wasmPaths: "/wasm/" });
const losses = (t: WorkerTrainer, into: number[], tensors: number[] = []) =>
  t.onProgress((p: Progress) => {
    if (p.kind === "step") into.push(p.loss), tensors.push(p.numTensors);
  });

/** Blocks the thread for `ms`. */
function busy(ms: number): void {
  const from = performance.now();
  while (performance.now() - from < ms);
}

const state: { reference?: number[]; checkpoint?: Uint8Array; trainer?: WorkerTrainer } = {};

/**
 * 30 steps on wasm with the kNN monitor, a save mid-run; meanwhile the main thread's long tasks
 * (PerformanceObserver) and its worst gap between timer ticks. Then a long task made on purpose,
 * to show the observer sees them here.
 */
async function trainWasm() {
  const longTasks: Array<{ start: number; duration: number }> = [];
  new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => ({ start: e.startTime, duration: e.duration })))).observe({ type: "longtask" });
  const data = dataset();
  const queries = { ...data, images: data.images.slice(0, 64 * SIZE * SIZE), labels: data.labels.slice(0, 64) };
  const t = (state.trainer = await worker("wasm"));
  const reference: number[] = [];
  const numTensors: number[] = [];
  const knn: Array<[number, number]> = [];
  const rates: number[] = [];
  losses(t, reference, numTensors);
  let saving: Promise<Uint8Array> | null = null;
  t.onProgress((p) => {
    if (p.kind === "knn") knn.push([p.step, p.accuracy]);
    else rates.push(p.imagesPerSecond);
    if (p.kind === "step" && p.step === 12) saving = t.save(); // lands between two later steps
  });
  let maxGap = 0;
  let ticking = true;
  let last = performance.now();
  const tick = () => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    if (ticking) setTimeout(tick, 0);
  };
  await new Promise((r) => setTimeout(r, 0)); // the window opens in a task of its own
  tick();
  const from = performance.now();
  const result = await t.start({ config: CONFIG, ...data, knn: { every: 15, queries, bankSize: 128 } });
  const to = performance.now();
  ticking = false;
  const gap = maxGap;
  const checkpoint = (state.checkpoint = await saving!);
  state.reference = reference;
  await new Promise((r) => setTimeout(r, 50));
  const busyFrom = performance.now();
  await new Promise((r) => setTimeout(() => r(busy(80)), 0)); // a task of its own
  await new Promise((r) => setTimeout(r, 300)); // long-task entries arrive late
  return {
    ready: t.ready, result, losses: reference, numTensors, knn, rates, maxGap: gap, seconds: (to - from) / 1000,
    // relative to the start() call
    longTasks: longTasks.filter((e) => e.start <= to && e.start + e.duration >= from).map((e) => ({ ...e, start: e.start - from })),
    control: longTasks.filter((e) => e.start + e.duration >= busyFrom).map((e) => e.duration),
    checkpoint: Array.from(checkpoint),
  };
}

/** The mid-run checkpoint in a new worker: its next losses; and the same bytes through IndexedDB. */
async function resumeElsewhere() {
  await saveCheckpointToIndexedDB("mid-run", state.checkpoint!);
  const stored = await loadCheckpointFromIndexedDB("mid-run");
  const t = await worker("wasm");
  const loaded = await t.load(stored!);
  const resumed: number[] = [];
  losses(t, resumed);
  const result = await t.start({ resume: true, ...dataset() });
  t.terminate();
  return { loaded: loaded.step, result, resumed, reference: state.reference!.slice(loaded.step), absent: await loadCheckpointFromIndexedDB("never-saved") };
}

/** Each bad input's error message, then proof that the same worker still trains and embeds. */
async function badInputs() {
  const t = state.trainer!;
  const data = dataset;
  const error = (p: Promise<unknown>) => p.then(() => "resolved", (e: Error) => e.message);
  const other = await worker("wasm");
  await other.start({ config: { ...CONFIG, encoder: { arch: "small-cnn", width: 8 } }, ...data(), untilStep: 1 });
  const width8 = await other.save();
  other.terminate();
  const out: Record<string, string> = {
    length: await error(t.start({ config: CONFIG, ...data(), images: new Uint8Array(1000) })),
    channels: await error(t.start({ config: CONFIG, ...data(), channels: 3, images: new Uint8Array(N * SIZE * SIZE * 3) })),
    labels: await error(t.start({ config: CONFIG, ...data(), labels: new Uint8Array(5), knn: { every: 1, queries: { ...data() } } })),
    architecture: await error(t.load(width8)),
    notCheckpoint: await error(t.load(new Uint8Array([1, 2, 3]))),
    backend: await error(createWorkerTrainer({ worker: new Worker("/worker.js"), backend: "nope" as "cpu" })),
  };
  const first = t.start({ config: CONFIG, ...data(), untilStep: 3 });
  out.secondStart = await error(t.start({ config: CONFIG, ...data() }));
  out.firstRun = JSON.stringify(await first);
  const early = t.start({ config: CONFIG, ...data() });
  const stopped = t.stop();
  out.stopInFirstStep = await error(early);
  out.stopReply = JSON.stringify(await stopped);
  out.stopIdle = await error(t.stop());
  const after: number[] = [];
  const off = losses(t, after);
  out.afterwards = JSON.stringify(await t.start({ config: CONFIG, ...data(), untilStep: 2 }));
  off();
  const e = await t.embed({ ...data(), images: data().images.slice(0, 100 * SIZE * SIZE) });
  out.embed = JSON.stringify({ n: e.n, dims: e.dims, projection: e.projection.length, finite: e.projection.every(Number.isFinite) && after.every(Number.isFinite) });
  return out;
}

/**
 * `steps` steps on a GPU backend inside the worker (WebGL through OffscreenCanvas; WebGPU through
 * an app's worker script that imports tfjs-backend-webgpu), or why that backend did not start.
 */
async function trainOn(backend: "webgl" | "webgpu", steps: number) {
  const t = await worker(backend).catch((e: Error) => e.message);
  if (typeof t === "string") return { skipped: t };
  const recorded: number[] = [];
  losses(t, recorded);
  const result = await t.start({ config: CONFIG, ...dataset(), untilStep: steps });
  t.terminate();
  return { ready: t.ready, result, losses: recorded };
}
const trainWebgl = () => trainOn("webgl", 10);
// the step reads its loss asynchronously, which WebGPU needs
const trainWebgpu = () => trainOn("webgpu", 3);

/** The scenarios, for the test to call as `window.workerTests[name]()`. */
export const workerTests = { trainWasm, resumeElsewhere, badInputs, trainWebgl, trainWebgpu };
