// What every method on two augmented views shares: the online encoder and its embedding, the
// optimizer and step counter, the step itself (gradients → update → the method's `afterStep`, undone
// if the loss is not finite) and raw-image steps through the augmenter. A method adds its heads,
// its loss and what follows each update.
import * as tf from "@tensorflow/tfjs";
import { createAugmenter, type Augmenter, type AugmentFn } from "./augment/augmenter";
import { byolPaper, type PolicyPair, type ViewPolicy } from "./augment/policy";
import type { AnyImageSet } from "./data/any-images";
import type { EmbedOptions, Gradients, ImageBatch, Learner, LearnerSettings, MethodName, StepResult } from "./learner";
import type { EncoderFn } from "./nets/tap";
import { OnlineEncoder } from "./online-encoder";
import { Optimizer, type OptimizerConfig, type OptimizerState, type Param } from "./train/optimizers";

/** Options every method takes (see `BYOLOptions` for the method's own). */
export interface LearnerOptions {
  /**
   * The online encoder: a LayersModel tapped at `hiddenLayer`, or a function `x → features`
   * (methods without a target only: a function has no weights to copy). A function is called as
   * `fn(x, training)`.
   */
  encoder: tf.LayersModel | EncoderFn;
  /** Side of the square input images. */
  imageSize: number;
  /** Channels of the input images (1 or 3). */
  channels: number;
  /**
   * Layer name or index (negative from the end) of `encoder` whose output is the representation
   * (byol-pytorch's `hidden_layer`); default: the encoder's own [N, F] output.
   */
  hiddenLayer?: string | number;
  /**
   * The layer `embed` returns when no `tap` is given, if not `hiddenLayer`: a name or `'gridG'`
   * (see `representationModel`). E.g. the projector reads the global pool (`hiddenLayer:
   * 'avgpool'`) while users get the last feature map pooled to 3×3 (`'grid3'`), which keeps the
   * coarse layout a global pool discards at no cost to the training step.
   */
  representation?: string;
  /** Augmentation of both views (a policy pair, one view's policy, or a function); default the paper's pair. */
  augment?: PolicyPair | ViewPolicy | AugmentFn;
  /** The second view's policy when `augment` is one view's policy (byol-pytorch's `augment_fn2`). */
  augment2?: ViewPolicy;
  /** Total optimizer steps, for the method's schedules (the trainer sets it). */
  totalSteps?: number;
  /** Optimizer (Adam by default). */
  optimizer?: OptimizerConfig;
  /** Learning rate when the caller does not pass one per step (3e-4). */
  learningRate?: number;
  /** Seed for the heads' initialization and the augmentation (the encoder's weights are the caller's). */
  seed?: number;
}

/** {@link LearnerOptions} resolved: defaults filled in, sizes checked. */
export type LearnerCommon = LearnerSettings & Pick<LearnerOptions, "hiddenLayer" | "representation" | "totalSteps"> & { optimizer: OptimizerConfig; learningRate: number; seed: number };

/** The common options with their defaults, checked. */
export function commonSettings(options: LearnerOptions): LearnerCommon {
  const o = {
    imageSize: options.imageSize,
    channels: options.channels,
    hiddenLayer: options.hiddenLayer,
    representation: options.representation,
    totalSteps: options.totalSteps,
    optimizer: options.optimizer ?? { name: "adam" },
    learningRate: options.learningRate ?? 3e-4,
    seed: options.seed ?? 0,
  };
  if (!Number.isInteger(o.imageSize) || o.imageSize < 1) throw new Error(`imageSize must be a positive integer, got ${options.imageSize}`);
  if (o.channels !== 1 && o.channels !== 3) throw new Error(`channels must be 1 or 3, got ${options.channels}`);
  return o;
}

/** The augmenter of `options.augment` (default the paper's pair), seeded by the learner's seed. */
export function learnerAugmenter(options: LearnerOptions, o: LearnerCommon): Promise<Augmenter> {
  const a = options.augment;
  const policy = a === undefined ? byolPaper() : typeof a === "function" || "view1" in a ? a : { view1: a, view2: options.augment2 ?? a };
  return createAugmenter({ policy, outSize: o.imageSize, channels: o.channels as 1 | 3, seed: o.seed });
}

/** Biases and normalization parameters take no LARS adaptation or weight decay (rank ≤ 1). */
export function paramsOf(prefix: string, model: tf.LayersModel, lrScale = 1): Param[] {
  return model.trainableWeights.map((w) => ({ name: `${prefix}.${w.originalName}`, variable: w.read() as tf.Variable, adapt: w.shape.length > 1, lrScale }));
}

/** A method's loss on two views, and the online projections of both (for the monitors). */
export interface LossTerms {
  loss: tf.Scalar;
  z1: tf.Tensor2D;
  z2: tf.Tensor2D;
}

/** The shared half of a {@link Learner}; a method supplies its heads, `loss` and, if any, `afterStep`. */
export abstract class TwoViewLearner implements Learner {
  abstract readonly method: MethodName;
  abstract readonly parameters: readonly Param[];
  abstract readonly models: ReadonlyArray<readonly [string, tf.LayersModel]>;
  /** The head whose output is the projection z that the loss and `embed({ projection })` read. */
  protected abstract readonly projector: tf.LayersModel;
  /** The method's name in error messages. */
  protected abstract readonly label: string;
  readonly onlineEncoder: tf.LayersModel | null;
  readonly representationSize: number;
  readonly tapSize: number;
  protected readonly encode: (x: tf.Tensor, training: boolean) => tf.Tensor2D;
  protected stepIndex = 0;
  private readonly optimizer: Optimizer;

  protected constructor(
    readonly options: LearnerCommon,
    private readonly encoder: OnlineEncoder,
    private readonly augmenter: Augmenter,
  ) {
    this.onlineEncoder = encoder.model;
    this.representationSize = encoder.representationSize;
    this.tapSize = encoder.tapSize;
    this.encode = encoder.encode;
    this.optimizer = new Optimizer(options.optimizer);
  }

  /**
   * The loss of two views, recorded by the gradient tape. `fixed` is what {@link TwoViewLearner.fixedInputs}
   * computed before the tape.
   */
  protected abstract loss(view1: tf.Tensor4D, view2: tf.Tensor4D, fixed: tf.Tensor2D[]): LossTerms;

  /** Tensors the loss reads that no gradient flows into (BYOL's target projections), computed outside the tape. */
  protected fixedInputs(_view1: tf.Tensor4D, _view2: tf.Tensor4D): tf.Tensor2D[] {
    return [];
  }

  /** Nothing follows the update unless the method says so; τ is NaN without a moving average. */
  afterStep(): number {
    return NaN;
  }

  /** Number of optimizer steps taken. */
  get steps(): number {
    return this.stepIndex;
  }

  /**
   * Binds the method's schedules to the run's real length (the trainer knows it only after timing
   * a few steps when training for a fixed time).
   */
  setTotalSteps(total: number): void {
    if (!Number.isInteger(total) || total < 1) throw new Error(`total steps must be a positive integer, got ${total}`);
    this.options.totalSteps = total;
  }

  private checkViews(v1: tf.Tensor, v2: tf.Tensor): void {
    const want = [this.options.imageSize, this.options.imageSize, this.options.channels];
    for (const [name, v] of [["view1", v1], ["view2", v2]] as const) {
      if (v.rank !== 4 || v.shape[1] !== want[0] || v.shape[2] !== want[1] || v.shape[3] !== want[2]) {
        throw new Error(`${name} has shape [${v.shape}], expected [B, ${want.join(", ")}]`);
      }
      if (v.shape[0] < 2) throw new Error(`${name} has a batch of ${v.shape[0]}: BatchNorm in training mode needs at least 2 images per batch`);
    }
    if (v1.shape[0] !== v2.shape[0]) throw new Error(`view1 has ${v1.shape[0]} images but view2 has ${v2.shape[0]}`);
  }

  /**
   * Forward both views, the loss and its gradients, without updating anything but BatchNorm
   * statistics. The caller owns (and must dispose) `loss`, `grads` and `monitors`.
   */
  computeGradients(view1: tf.Tensor4D, view2: tf.Tensor4D): Gradients {
    this.checkViews(view1, view2);
    const fixed = this.fixedInputs(view1, view2);
    let kept: tf.Tensor2D[] = [];
    try {
      const { value, grads } = tf.variableGrads(() => {
        const { loss, z1, z2 } = this.loss(view1, view2, fixed);
        kept = [tf.keep(z1), tf.keep(z2)];
        return loss;
      }, this.parameters.map((p) => p.variable));
      const monitors = tf.tidy(() => {
        const [n1, n2] = kept.map((z) => tf.div(z, tf.sqrt(tf.maximum(tf.sum(tf.square(z), 1, true), 1e-24))));
        const zStd = tf.mean(tf.sqrt(tf.moments(n1, 0).variance.mul(n1.shape[0] / Math.max(n1.shape[0] - 1, 1))));
        const cos = tf.mean(tf.sum(tf.mul(n1, n2), 1));
        return tf.stack([zStd, cos]) as tf.Tensor1D;
      });
      return { loss: value, grads: this.parameters.map((p) => grads[p.variable.name]), monitors };
    } finally {
      tf.dispose([...kept, ...fixed]);
    }
  }

  /**
   * One step on two augmented views ([B, H, W, C], normalized): loss, optimizer update, then the
   * method's {@link TwoViewLearner.afterStep}. A failed step (a non-finite loss, or a non-finite
   * input the loss rejects) throws naming the step, with every weight and BatchNorm statistic as
   * before it.
   */
  stepViews(view1: tf.Tensor4D, view2: tf.Tensor4D, learningRate = this.options.learningRate): StepResult {
    // the forward moves BatchNorm statistics: keep them to put back if the step fails
    const stats = this.models.flatMap(([, m]) => m.nonTrainableWeights);
    const saved = stats.map((w) => w.read().clone());
    const fail = (why: string): never => {
      stats.forEach((w, i) => w.write(saved[i]));
      tf.dispose(saved);
      throw new Error(`${this.label} step ${this.stepIndex}: ${why}; no weights were updated (lower the learning rate, or check the input for NaN)`);
    };
    let out: Gradients;
    try {
      out = this.computeGradients(view1, view2);
    } catch (e) {
      return fail((e as Error).message);
    }
    const { loss, grads, monitors } = out;
    const [lossValue] = loss.dataSync();
    const [zStd, viewCosine] = monitors.dataSync();
    tf.dispose([loss, monitors]);
    if (!Number.isFinite(lossValue)) {
      tf.dispose(grads);
      fail(`the loss is ${lossValue}`);
    }
    tf.dispose(saved);
    this.applyGradients(grads, learningRate);
    tf.dispose(grads);
    const tau = this.afterStep();
    const result: StepResult = { step: this.stepIndex, loss: lossValue, zStd, viewCosine, tau, learningRate };
    this.stepIndex++;
    return result;
  }

  /**
   * The optimizer update from gradients ordered as {@link TwoViewLearner.parameters} (from
   * {@link TwoViewLearner.computeGradients}); the caller keeps ownership of `grads`.
   * {@link TwoViewLearner.stepViews} does this, then `afterStep`.
   */
  applyGradients(grads: tf.Tensor[], learningRate = this.options.learningRate): void {
    this.optimizer.apply(this.parameters as Param[], grads, learningRate);
  }

  /**
   * One step on a batch of raw images (byol-pytorch's `loss = learner(images)` followed by the
   * optimizer and moving-average updates): both views are drawn per sample from the augmentation
   * policy, deterministically in (seed, step, position in the batch). Images are NHWC uint8
   * (0–255) or float32 (0–1), as an image set or a tensor (int32 tensors are read as 0–255).
   */
  step(images: ImageBatch | tf.Tensor4D, learningRate = this.options.learningRate): StepResult {
    let batch: ImageBatch;
    if (images instanceof tf.Tensor) {
      if (images.rank !== 4) throw new Error(`step: images must be [B, H, W, C], got [${images.shape}]`);
      const [n, height, width, channels] = images.shape;
      const values = images.dataSync();
      batch = { images: images.dtype === "float32" ? (values as Float32Array) : Uint8Array.from(values), n, height, width, channels };
    } else batch = images;
    this.augmenter.setImages(batch.images, batch);
    const { view1, view2, shape } = this.augmenter.views(Array.from({ length: batch.n }, (_, i) => i), this.stepIndex);
    const v1 = tf.tensor4d(view1, shape);
    const v2 = tf.tensor4d(view2, shape);
    try {
      return this.stepViews(v1, v2, learningRate);
    } finally {
      tf.dispose([v1, v2]);
    }
  }

  /**
   * The online representation (and projection), in eval mode, in batches of `batchSize`: of
   * normalized float images [N, H, W, C], or of a uint8 image set (in memory or streamed, read a
   * batch at a time) normalized with `normalization` (the training policy's mean/std) and resized
   * to the learner's input size.
   * Returns Float32Arrays [N, F] (and [N, P]).
   */
  embed(images: tf.Tensor4D | AnyImageSet, options: EmbedOptions = {}): Promise<{ representation: Float32Array; projection?: Float32Array }> {
    return this.encoder.embed(images, options, this.projector);
  }

  /**
   * The online encoder as a model whose output is `tap` (default: the learner's representation),
   * sharing its weights; built once per name. Null for a function encoder's own output.
   */
  onlineEncoderAt(tap = this.options.representation): tf.LayersModel | null {
    return this.encoder.at(tap);
  }

  /** Optimizer state (copies the caller owns), for checkpoints. */
  getOptimizerState(): OptimizerState {
    return this.optimizer.getState();
  }

  /** Restores optimizer state and the step counter. */
  setOptimizerState(state: OptimizerState, step: number): void {
    this.optimizer.setState(state, this.parameters as Param[]);
    this.stepIndex = step;
  }

  /** Frees the optimizer state and the augmenter's kernel memory; a method frees its heads too. */
  dispose(): void {
    this.augmenter.dispose();
    this.optimizer.dispose();
  }
}
