// What the training loop, checkpoints and evaluation need from a self-supervised method — BYOL,
// its SimSiam variant, VICReg — so one Trainer, one checkpoint format and one `embed` serve them all.
import type * as tf from "./tf";
import type { AnyImageSet } from "./data/any-images";
import type { Param } from "./train/optimizers";

/** The methods a run can train, as the CLI and the run config spell them. */
export type MethodName = "byol" | "simsiam" | "vicreg";

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

/** The gradients of one step, ordered as {@link Learner.parameters}; the caller disposes all three. */
export interface Gradients {
  loss: tf.Scalar;
  grads: tf.Tensor[];
  /** [zStd, viewCosine] of the online projections. */
  monitors: tf.Tensor1D;
}

/** The input settings every learner has. */
export interface LearnerSettings {
  readonly imageSize: number;
  readonly channels: number;
}

/**
 * A self-supervised method on two augmented views: its networks, its loss and what follows each
 * update. The {@link Trainer} drives it — optimizer, schedules, augmentation, failed-step rollback —
 * checkpoints store `models`, evaluation reads `embed`.
 */
export interface Learner {
  /** The method, as stored in the run config. */
  readonly method: MethodName;
  readonly options: LearnerSettings;
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
  /** Whether the method has a target network that follows the online one by a moving average (BYOL). */
  readonly hasTarget: boolean;
  /** The loss of two normalized views [B, H, W, C] and its gradients; moves only BatchNorm statistics. */
  computeGradients(view1: tf.Tensor4D, view2: tf.Tensor4D): Gradients;
  /** What the method does after each optimizer update: BYOL blends its target with decay τ; others do nothing. */
  afterStep(tau: number): void;
  /** The online representation (and projection) of images (in memory or streamed), in eval mode. */
  embed(images: tf.Tensor4D | AnyImageSet, options?: EmbedOptions): Promise<{ representation: Float32Array; projection?: Float32Array }>;
  /** The online encoder as a model whose output is `tap` (default: the representation); null for a function encoder's own output. */
  onlineEncoderAt(tap?: string): tf.LayersModel | null;
  /** Frees the learner's own networks (not the caller's encoder). */
  dispose(): void;
}
