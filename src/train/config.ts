// The run configuration: everything that defines a training run, stored in each checkpoint so
// that `eval`, `embed` and `--resume` rebuild exactly the same networks.
import type { PolicyOverrides } from "../augment/policy";
import type { SquareFit } from "../data/fit-square";
import type { MethodName } from "../learner";
import type { OptimizerConfig } from "./optimizers";

/** Encoders the CLI and the trainer can build by name. */
export type EncoderArch = "resnet18" | "resnet34" | "resnet50" | "small-cnn";

/** A complete, JSON-serializable description of a run. */
export interface RunConfig {
  /**
   * The method (see {@link methodOf}): `byol`, `simsiam` (BYOL without the target's momentum) or
   * `vicreg`. Absent in checkpoints from before there was a choice: BYOL, or SimSiam where
   * `useMomentum` is false.
   */
  method?: MethodName;
  /**
   * `zeroInitResidual`: ResNet blocks start as their shortcuts (see `ResNetOptions`); default false.
   * `depth`, `stages`: the small CNN's convolutions per downsampled stage and its downsampled stages
   * (see `SmallCnnOptions`); default 1 and 2.
   */
  encoder: { arch: EncoderArch; width: number; stem: "cifar" | "imagenet"; zeroInitResidual?: boolean; depth?: number; stages?: number };
  /**
   * The encoder layer the projector reads (`avgpool`, the global pool, or `gridG`, the last
   * feature map pooled to G×G); default `avgpool`.
   */
  tap?: string;
  /** The representation evaluation and `embed` use, if not `tap` (see {@link representationOf}). */
  representation?: string;
  /** Side and channels of the images the networks see. */
  imageSize: number;
  channels: number;
  projectionSize: number;
  projectionHiddenSize: number;
  /** τ_base and its schedule. */
  tauBase: number;
  tauSchedule: "cosine" | "constant";
  /** BYOL's target: false is SimSiam (a `method` given wins). */
  useMomentum: boolean;
  optimizer: OptimizerConfig;
  learningRate: number;
  /** The predictor's learning rate as a multiple of `learningRate`; default 1. */
  predictorLrScale?: number;
  warmupSteps: number;
  batchSize: number;
  /** Optimizer steps of the whole run (binds the τ and LR schedules). */
  totalSteps: number;
  seed: number;
  /** The augmentation preset, its crop scale, and overrides merged onto it (see `PolicyOverrides`). */
  augment: { preset: "paper" | "byol-pytorch"; cropScale: [number, number]; overrides?: PolicyOverrides };
  /** Training images drawn from the training file (all when 0): the first ones of IDX files, a seeded sample of a folder. */
  limit: number;
  /**
   * Where the images come from: `idx`, an IDX dataset folder (without `path`, Fashion-MNIST found
   * by the usual search), or `images`, a folder of PNG/JPEG made square by `fit` and resized to
   * `imageSize`. Absent in checkpoints from before image folders: Fashion-MNIST.
   */
  data?: { format: "idx" | "images"; path?: string; fit?: SquareFit };
  /** The state dict the online encoder started from (`byol train --init-from`), if not its seed. */
  initFrom?: string;
  /**
   * The per-channel mean and std (pixels on the [0, 1] scale) both views and `embed` normalize
   * with: the training images' own, which `byol train` and the worker compute. Absent, the
   * augmentation preset's `'auto'` (Fashion-MNIST's on one channel, ImageNet's on three): runs
   * from weights made elsewhere (`--init-from`), which expect those, and older checkpoints.
   */
  normalization?: { mean: number[]; std: number[] };
}

/**
 * The default run, chosen from measurements on the 2-core machine (bench/RESULTS.md, "Quality on
 * Fashion-MNIST"): a small CNN of width 16 with three downsampled stages (28 → 14 → 7 → 4 px,
 * 16 → 128 channels) on 28×28 greyscale, batch 64, Adam 2e-3 with 10 warmup steps and cosine
 * decay, the predictor at 10× that rate (it then tracks the projection sooner: +0.7–1 kNN point at
 * equal images seen; DirectPred, Tian et al. 2021), τ 0.99 → 1, the paper's augmentations with
 * crops of 20–100% of the area, projector 1024 → 128 on the global pool (`avgpool`, 128-d).
 * The third stage widens what a feature sees from 9 to 17 pixels, so the global pool describes
 * shapes, not strokes: +2–3 kNN points there at equal images seen over the two-stage width-32 CNN,
 * at 0.6× its cost per image. The representation is `grid2`, the last 4×4 map pooled to 2×2
 * (512-d): Fashion-MNIST's classes differ largely in layout, which a global pool discards (the
 * grid scores 1.5–2 points above the same network's pool). A ResNet-18 (width 16) runs ~5× fewer
 * images/s here and learns less in a laptop budget; pick `--arch resnet18 --width 16` for longer runs.
 */
export const DEFAULT_RUN: RunConfig = {
  encoder: { arch: "small-cnn", width: 16, stem: "cifar", stages: 3 },
  tap: "avgpool",
  representation: "grid2",
  imageSize: 28,
  channels: 1,
  projectionSize: 128,
  projectionHiddenSize: 1024,
  tauBase: 0.99,
  tauSchedule: "cosine",
  useMomentum: true,
  optimizer: { name: "adam", weightDecay: 1e-6 },
  learningRate: 2e-3,
  predictorLrScale: 10,
  warmupSteps: 10,
  batchSize: 64,
  totalSteps: 1000,
  seed: 0,
  augment: { preset: "paper", cropScale: [0.2, 1] },
  limit: 0,
};

/** The layer a run's evaluation, `embed` and `export` use: `representation`, else `tap`, else `avgpool`. */
export function representationOf(config: RunConfig): string {
  return config.representation ?? config.tap ?? "avgpool";
}

/** The method a run trains: `method`, else what `useMomentum` meant before there was a choice. */
export function methodOf(config: RunConfig): MethodName {
  return config.method ?? (config.useMomentum === false ? "simsiam" : "byol");
}
