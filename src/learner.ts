// What the training loop, checkpoints and evaluation need from a self-supervised method — BYOL,
// its SimSiam variant, VICReg — so one Trainer, one checkpoint format and one `embed` serve them all.
import type * as tf from "@tensorflow/tfjs";
import type { AnyImageSet } from "./data/any-images";
import type { OptimizerState, Param } from "./train/optimizers";

/** The methods a run can train, as the CLI and the run config spell them. */
export type MethodName = "byol" | "simsiam" | "vicreg";

/** A batch of images, NHWC: uint8 0–255 or float32 0–1. */
export interface ImageBatch {
  images: Uint8Array | Float32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
}

/** Options of {@link Learner.embed}. */
export interface EmbedOptions {
  /** Also return the online projection z (the projector's, or VICReg's expander's, output). */
  projection?: boolean;
  /** Images per forward pass (256). */
  batchSize?: number;
  /** Per-channel mean/std applied to uint8 images scaled to [0, 1] (required for image sets). */
  normalization?: { mean: number[]; std: number[] };
  /**
   * Another tap of the online encoder than the learner's `representation`: a layer name, or
   * `'gridG'` (see `representationModel`). Every encoder of byol-ts has its global pool as `'avgpool'`.
   */
  tap?: string;
}

/** What one step reports. */
export interface StepResult {
  /** Optimizer step index (0-based) this result belongs to. */
  step: number;
  /** The method's loss (BYOL's symmetric loss is in [0, 8]). */
  loss: number;
  /** Mean over dimensions of the std of L2-normalized online projections; → 0 on collapse. */
  zStd: number;
  /** Mean cosine between the online projections of the two views. */
  viewCosine: number;
  /** τ used for the moving average after this step (NaN for a method without one, e.g. SimSiam). */
  tau: number;
  /** Learning rate used by this step. */
  learningRate: number;
}

/** The gradients of one step, ordered as {@link Learner.parameters}; the caller disposes all three. */
export interface Gradients {
  loss: tf.Scalar;
  grads: tf.Tensor[];
  /** [zStd, viewCosine] of the online projections. */
  monitors: tf.Tensor1D;
}

/** The input and schedule settings every learner has. */
export interface LearnerSettings {
  readonly imageSize: number;
  readonly channels: number;
  /** Learning rate when the caller does not pass one per step. */
  readonly learningRate: number;
  /** Total optimizer steps (binds the method's own schedules, e.g. BYOL's τ). */
  totalSteps?: number;
}

/**
 * A self-supervised method on two augmented views. The Trainer drives it one `stepViews` at a
 * time; checkpoints store `models` and the optimizer state; evaluation reads `embed`.
 */
export interface Learner {
  /** The method, as stored in the run config. */
  readonly method: MethodName;
  readonly options: LearnerSettings;
  /** Optimizer steps taken. */
  readonly steps: number;
  /** What the optimizer updates, in the order of {@link Gradients.grads}. */
  readonly parameters: readonly Param[];
  /** Every network whose weights (BatchNorm statistics included) are the learner's state, under its checkpoint prefix. */
  readonly models: ReadonlyArray<readonly [string, tf.LayersModel]>;
  /** The online encoder tapped where the projector reads (null for a function encoder). */
  readonly onlineEncoder: tf.LayersModel | null;
  /** Size of the representation `embed` returns by default. */
  readonly representationSize: number;
  /** Size of the tap the projector reads. */
  readonly tapSize: number;
  /** The loss of two normalized views [B, H, W, C] and its gradients; moves only BatchNorm statistics. */
  computeGradients(view1: tf.Tensor4D, view2: tf.Tensor4D): Gradients;
  /** The optimizer update from gradients ordered as {@link Learner.parameters}. */
  applyGradients(grads: tf.Tensor[], learningRate?: number): void;
  /** What the method does after each optimizer update (BYOL: the target's moving average); returns τ, or NaN. */
  afterStep(): number;
  /** One step: gradients, optimizer update, `afterStep`; a failed step throws and changes no weight. */
  stepViews(view1: tf.Tensor4D, view2: tf.Tensor4D, learningRate?: number): StepResult;
  /**
   * One step on a batch of raw images (uint8 0–255 or float32 0–1, NHWC): both views drawn per
   * sample from the learner's augmentation, then {@link Learner.stepViews}.
   */
  step(images: ImageBatch | tf.Tensor4D, learningRate?: number): StepResult;
  /** Binds the method's schedules to the run's real length. */
  setTotalSteps(total: number): void;
  /** Optimizer state (copies the caller owns), for checkpoints. */
  getOptimizerState(): OptimizerState;
  /** Restores optimizer state and the step counter. */
  setOptimizerState(state: OptimizerState, step: number): void;
  /** The online representation (and projection) of images (in memory or streamed), in eval mode. */
  embed(images: tf.Tensor4D | AnyImageSet, options?: EmbedOptions): Promise<{ representation: Float32Array; projection?: Float32Array }>;
  /** The online encoder as a model whose output is `tap` (default: the representation); null for a function encoder's own output. */
  onlineEncoderAt(tap?: string): tf.LayersModel | null;
  /** Frees the learner's own networks and memory (not the caller's encoder). */
  dispose(): void;
}
