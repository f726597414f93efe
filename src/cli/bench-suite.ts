// `byol bench`'s suite: on every backend that works here, the kernels a BYOL step runs (moving
// average, loss, augmentation) and whole training steps timed phase by phase, as medians of
// manual timings (benchmark.js is a development dependency; bench/ uses it for finer studies).
import * as tf from "@tensorflow/tfjs";
import { emaBlend } from "../../bindings/ema";
import { emaBlendWasm } from "../../bindings/tfjs-wasm/ema";
import { createAugmenter, type Augmenter } from "../augment/augmenter";
import { setBackend, type BackendInfo } from "../backend";
import type { BYOL } from "../byol";
import type { ImageSet } from "../data/types";
import { byolLossTensor } from "../loss";
import { DEFAULT_RUN, type RunConfig } from "../train/config";
import { disposeLearner, policyOf } from "../train/setup";
import { uniformArray, uniformGenerator } from "../util/random";
import { say } from "./common";
import { BENCH_STEP_RUN, benchTrainer, medianMs, syntheticImages, timeSteps, type StepTimes } from "../bench/step";

/** One measurement: a kernel or a step, one implementation, on one backend. */
export interface BenchRow {
  /** tfjs backend, or `'any'` for our kernels on their own memory (no tfjs tensors involved). */
  backend: string;
  kernel: "ema" | "loss" | "augment" | "step";
  /** Implementation and size measured. */
  case: string;
  /** Median wall time of one call, in milliseconds. */
  ms: number;
  /** Images per second where the case processes images (null otherwise). */
  imagesPerSecond: number | null;
  /** Timed calls behind the median (after one untimed warm-up). */
  samples: number;
}

/** What {@link runBench} measured and where. */
export interface BenchReport {
  /** Backends measured, as {@link setBackend} reported them. */
  backends: BackendInfo[];
  /** Backends not measured here, and why. */
  unavailable: { backend: string; reason: string }[];
  rows: BenchRow[];
}

/** Floats of a ResNet-18 at width 64 (torchvision's): the moving average's usual load. */
const EMA_FLOATS = 11_689_512;
/** Parameter tensors the EMA floats are split into (a ResNet-18 has 62). */
const EMA_TENSORS = 62;

/** A target/online parameter set of EMA_FLOATS floats in EMA_TENSORS tensors on the active backend. */
function emaPairs(): Array<[tf.Variable, tf.Tensor]> {
  const next = uniformGenerator(7);
  const per = Math.ceil(EMA_FLOATS / EMA_TENSORS);
  return Array.from({ length: EMA_TENSORS }, (_, k) => {
    const n = Math.min(per, EMA_FLOATS - k * per);
    // made inside tidy, the variable owns its data alone (else the in-place blend refuses it)
    return [tf.tidy(() => tf.variable(tf.tensor1d(uniformArray(n, 1, next)), false)), tf.tensor1d(uniformArray(n, 1, next))];
  });
}

/** tfjs ops' moving average (a new target tensor per parameter, as tfjs-only code runs it). */
function opsBlend(pairs: Array<[tf.Variable, tf.Tensor]>, tau: number): void {
  tf.tidy(() => {
    for (const [t, o] of pairs) t.assign(tf.add(tf.mul(t, tau), tf.mul(o, 1 - tau)));
  });
}

function emaRows(backend: string, reps: number): BenchRow[] {
  const pairs = emaPairs();
  const size = `${(EMA_FLOATS / 1e6).toFixed(1)}M floats in ${EMA_TENSORS} tensors`;
  const row = (what: string, fn: () => void): BenchRow => ({ backend, kernel: "ema", case: `${what}, ${size}`, ms: medianMs(fn, reps), imagesPerSecond: null, samples: reps });
  const rows = [row("tfjs ops", () => opsBlend(pairs, 0.99))];
  if (backend === "wasm") {
    rows.push(row("byol-ts kernel (one ema_blend_many call)", () => {
      if (emaBlendWasm(pairs, 0.99).length) throw new Error("byol bench: the EMA kernel refused a parameter");
    }));
  }
  tf.dispose(pairs.flat());
  return rows;
}

function lossRows(backend: string, reps: number): BenchRow[] {
  const [B, D] = [256, 256];
  const next = uniformGenerator(3);
  const [q1, z2, q2, z1] = Array.from({ length: 4 }, () => tf.tensor2d(uniformArray(B * D, 1, next), [B, D]));
  const rows = (["kernel", "tfjs"] as const).map((impl): BenchRow => {
    const grad = tf.grads((a: tf.Tensor, b: tf.Tensor) => byolLossTensor(a as tf.Tensor2D, z2, b as tf.Tensor2D, z1, { impl }));
    const fn = () => tf.dispose(tf.tidy(() => grad([q1, q2]).map((g) => (g.dataSync(), g))));
    const what = impl === "kernel" ? "byol-ts kernel (tf.customGrad)" : "tfjs ops + autodiff";
    return { backend, kernel: "loss", case: `${what}, forward + backward, B ${B}, D ${D}`, ms: medianMs(fn, reps), imagesPerSecond: null, samples: reps };
  });
  tf.dispose([q1, z2, q2, z1]);
  return rows;
}

async function augmentRow(reps: number): Promise<BenchRow> {
  const c = BENCH_STEP_RUN;
  const batch = 256;
  const data = syntheticImages(1024, c.imageSize, c.channels);
  const augmenter = await createAugmenter({ policy: policyOf(c), outSize: c.imageSize, channels: c.channels as 1 | 3, seed: 0 });
  augmenter.setImages(data.images, data);
  let step = 0;
  const ms = medianMs(() => void augmenter.views(Array.from({ length: batch }, (_, i) => (step * batch + i) % data.n), step++), reps);
  const what = `byol-ts kernels, both views of ${batch} images ${c.imageSize}×${c.imageSize}×${c.channels}, ${c.augment.preset} policy`;
  return { backend: "any", kernel: "augment", case: what, ms, imagesPerSecond: (batch * 1000) / ms, samples: reps };
}

async function stepRow(backend: string, reps: number): Promise<BenchRow> {
  const c = BENCH_STEP_RUN;
  const trainer = await benchTrainer(c, syntheticImages(4 * c.batchSize, c.imageSize, c.channels));
  try {
    const t = await timeSteps(trainer, reps);
    const phases = `augment ${t.augment.toFixed(0)} + grads ${t.gradients.toFixed(0)} + optimizer ${t.optimizer.toFixed(0)} + EMA ${t.ema.toFixed(1)} ms`;
    const what = `BYOL step, ${c.encoder.arch} width ${c.encoder.width}, ${c.imageSize}×${c.imageSize}×${c.channels}, batch ${c.batchSize} (${phases})`;
    return { backend, kernel: "step", case: what, ms: t.total, imagesPerSecond: (c.batchSize * 1000) / t.total, samples: reps };
  } finally {
    trainer.dispose();
    disposeLearner(trainer.learner);
  }
}

/**
 * Measures on wasm and cpu (the backends Node has; WebGL and WebGPU exist only in browsers):
 * the moving average over a ResNet-18's parameters, the loss at B = D = 256, the augmentation of a
 * batch, and training steps of {@link BENCH_STEP_RUN}. `quick` takes fewer samples (about a minute).
 */
export async function runBench(options: { quick?: boolean } = {}): Promise<BenchReport> {
  const reps = options.quick ? { ema: 2, loss: 5, augment: 5, step: 2 } : { ema: 10, loss: 30, augment: 20, step: 5 };
  const report: BenchReport = {
    backends: [],
    rows: [],
    unavailable: [
      { backend: "webgl", reason: "browsers only (needs a WebGL context); run the demo or the browser tests" },
      { backend: "webgpu", reason: "browsers only (needs navigator.gpu)" },
    ],
  };
  const previous = tf.getBackend();
  for (const name of ["wasm", "cpu"] as const) {
    let info: BackendInfo;
    try {
      info = await setBackend(name);
    } catch (e) {
      report.unavailable.push({ backend: name, reason: (e as Error).message });
      continue;
    }
    report.backends.push(info);
    say(`bench: ${name}: moving average, loss, training step…`);
    report.rows.push(...emaRows(name, reps.ema), ...lossRows(name, reps.loss), await stepRow(name, reps.step));
  }
  report.rows.push(await augmentRow(reps.augment));
  const n = 1 << 20;
  const [t, o] = [new Float32Array(n), new Float32Array(n)];
  report.rows.push({ backend: "any", kernel: "ema", case: "byol-ts kernel on Float32Arrays (emaBlend, copies in and out), 1M floats", ms: medianMs(() => emaBlend(t, o, 0.99), reps.loss), imagesPerSecond: null, samples: reps.loss });
  if (previous) await setBackend(previous as "wasm" | "cpu").catch(() => undefined);
  return report;
}

/** Prints the report as an aligned text table. */
export function printBench(report: BenchReport): void {
  for (const b of report.backends) {
    console.log(`backend ${b.name}: ${b.name === "wasm" ? `SIMD ${b.simd ? "on" : "off"}, ${b.threads} thread(s), ${b.kernels} kernels${b.kernelBuild ? ` (${b.kernelBuild} build)` : ""}` : "tfjs kernels"}`);
  }
  for (const u of report.unavailable) console.log(`backend ${u.backend}: not measured — ${u.reason}`);
  const cells = report.rows.map((r) => [r.backend, r.kernel, r.ms.toFixed(r.ms < 10 ? 2 : 1), r.imagesPerSecond === null ? "" : r.imagesPerSecond.toFixed(0), r.case]);
  const head = ["backend", "kernel", "ms", "images/s", "case"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((v, i) => (i === 2 || i === 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join("  ").trimEnd();
  console.log("");
  console.log(line(head));
  for (const c of cells) console.log(line(c));
}
