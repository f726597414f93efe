// Timing a BYOL training step phase by phase (augment, gradients, optimizer, moving average), the
// configurations benchmarked against PyTorch, and the step report `byol bench --step` prints: a
// stable JSON contract that other tools read.
import { cpus, loadavg } from "node:os";
import { readFileSync } from "node:fs";
import type { ImageSet } from "../data/types";
import { DEFAULT_RUN, type RunConfig } from "../train/config";
import { buildLearner, createTrainer, disposeLearner } from "../train/setup";
import type { Trainer } from "../train/trainer";
import { uniformGenerator } from "../util/random";

/** Median phase times of a training step, in milliseconds. */
export interface StepTimes {
  /** Both views of the batch (our augmentation kernels) and their upload as tensors. */
  augment: number;
  /** Forward of both views through online and target, the loss, and backward. */
  gradients: number;
  /** The optimizer update. */
  optimizer: number;
  /** The method's `afterStep` (BYOL: the target's moving average). */
  ema: number;
  /** The whole step (median of per-step sums, not the sum of medians). */
  total: number;
  samples: number;
}

/**
 * The small run `byol bench` trains on every backend: the default recipe with a width-4 small CNN
 * and batch 16, so that tfjs' cpu backend (naive filter gradients: ~3 s per step) stays in budget.
 */
export const BENCH_STEP_RUN: RunConfig = {
  ...DEFAULT_RUN,
  encoder: { arch: "small-cnn", width: 4, stem: "cifar" },
  batchSize: 16,
  projectionSize: 64,
  projectionHiddenSize: 256,
  totalSteps: 100,
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Median wall time of `fn` over `reps` calls after one warm-up call, in milliseconds. */
export function medianMs(fn: () => void, reps: number): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Deterministic noise images (speed does not depend on content), uint8 NHWC. */
export function syntheticImages(n: number, side: number, channels: number, seed = 1): ImageSet {
  const next = uniformGenerator(seed);
  const images = Uint8Array.from({ length: n * side * side * channels }, () => Math.floor(next() * 256));
  return { images, n, height: side, width: side, channels, classes: [] };
}

/**
 * Times `reps` steps of `trainer` (after one untimed step: kernel set-up, optimizer slots, and the
 * first moving average, which cannot blend in place while the fresh target still shares the online
 * weights' data). Build the trainer with `timePhases: true` so that queued work is timed in its phase.
 */
export async function timeSteps(trainer: Trainer, reps: number): Promise<StepTimes> {
  const phases: number[][] = [[], [], [], [], []];
  for (let k = 0; k <= reps; k++) {
    const r = await trainer.step();
    if (k === 0) continue;
    [r.phases.augment, r.phases.gradients, r.phases.optimizer, r.phases.afterStep, r.milliseconds].forEach((d, i) => phases[i].push(d));
  }
  const [augment, gradients, optimizer, ema, total] = phases.map(median);
  return { augment, gradients, optimizer, ema, total, samples: reps };
}

/** A trainer of `config`'s learner over `data` that times its phases (for {@link timeSteps}); dispose both. */
export async function benchTrainer(config: RunConfig, data: ImageSet): Promise<Trainer> {
  const learner = await buildLearner(config);
  return createTrainer(config, learner, data, { timePhases: true });
}

/**
 * The byol-pytorch anchor's run (lucidrains' byol-pytorch as the reference figures ran it) in our
 * configuration terms: ResNet-18 width 64, torchvision stem, 28×28×3, batch 128, projection 256 /
 * hidden 4096, Adam 3e-4, τ 0.99, byol-pytorch's augmentations. `bench/anchor/byol_step.py` is its
 * PyTorch side.
 */
export const ANCHOR_RUN: RunConfig = {
  ...DEFAULT_RUN,
  encoder: { arch: "resnet18", width: 64, stem: "imagenet" },
  tap: "avgpool",
  representation: undefined,
  imageSize: 28,
  channels: 3,
  projectionSize: 256,
  projectionHiddenSize: 4096,
  tauBase: 0.99,
  tauSchedule: "constant",
  optimizer: { name: "adam" },
  learningRate: 3e-4,
  warmupSteps: 0,
  batchSize: 128,
  augment: { preset: "byol-pytorch", cropScale: [0.08, 1] },
};

/** The configurations `byol bench --step` times. */
export const STEP_CONFIGS = { anchor: ANCHOR_RUN, default: DEFAULT_RUN } as const;

/** What machine a measurement ran on. */
export interface MachineInfo {
  /** 1, 5 and 15-minute load averages when sampled. */
  load: number[];
  cpu: string;
  /** The CPU's SIMD flags that matter to the kernels (from /proc/cpuinfo where readable). */
  cpuFlags: string[];
  cores: number;
  node: string;
}

export function machineInfo(): MachineInfo {
  let flags: string[] = [];
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags")) ?? "";
    const all = new Set(line.split(":")[1]?.trim().split(/\s+/) ?? []);
    flags = ["sse4_2", "avx", "avx2", "fma", "avx512f"].filter((f) => all.has(f));
  } catch {
    // not Linux: the model name alone
  }
  return { load: loadavg().map((x) => Math.round(100 * x) / 100), cpu: cpus()[0]?.model ?? "unknown", cpuFlags: flags, cores: cpus().length, node: process.version };
}

/** The JSON `byol bench --step NAME --json` prints (a stable contract). */
export interface StepReport {
  config: keyof typeof STEP_CONFIGS;
  backend: string;
  /** The byol-ts kernel module on the calling thread ('relaxed-simd', 'simd', 'scalar', a '-shared' twin), or 'none' (tfjs' kernels). */
  build: string;
  /** The module the kernel helper threads run ('relaxed-simd-shared', 'simd-shared'), null without helpers. */
  helperBuild: string | null;
  threads: number;
  imagesPerSecond: number;
  /** Median milliseconds per step of each phase; `total` includes augmentation. */
  phases: { augment: number; gradients: number; optimizer: number; ema: number; total: number };
  load: number[];
  cpu: string;
  node: string;
}

/** Times `reps` steps of a named configuration on the active backend (noise images). */
export async function benchStep(name: keyof typeof STEP_CONFIGS, reps: number, info: { backend: string; build: string; helperBuild: string | null; threads: number }): Promise<StepReport> {
  const config = STEP_CONFIGS[name];
  const trainer = await benchTrainer(config, syntheticImages(4 * config.batchSize, config.imageSize, config.channels));
  const load = loadavg().map((x) => Math.round(100 * x) / 100);
  try {
    const t = await timeSteps(trainer, reps);
    const { samples: _, ...phases } = t;
    return { config: name, ...info, imagesPerSecond: (1000 * config.batchSize) / t.total, phases, load, cpu: machineInfo().cpu, node: process.version };
  } finally {
    trainer.dispose();
    disposeLearner(trainer.learner);
  }
}
