// What every method on two augmented views shares: the online encoder and its embedding, the views'
// checks, and the gradients of the method's loss with the monitors every step reports. A method
// adds its heads, its loss and what follows each update.
import * as tf from "./tf";
import type { AnyImageSet } from "./data/any-images";
import type { EmbedOptions, Gradients, Learner, LearnerSettings, MethodName } from "./learner";
import { zStdOfNormalized } from "./eval/zstd";
import { l2Normalize } from "./loss";
import type { EncoderFn } from "./nets/tap";
import { OnlineEncoder } from "./online-encoder";
import type { Param } from "./train/optimizers";

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
  /** Seed of the heads' initialization (the encoder's weights are the caller's). */
  seed?: number;
}

/** {@link LearnerOptions} resolved: defaults filled in, sizes checked. */
export type LearnerCommon = LearnerSettings & Pick<LearnerOptions, "hiddenLayer" | "representation"> & { seed: number };

/** The common options with their defaults, checked. */
export function commonSettings(options: LearnerOptions): LearnerCommon {
  const o = {
    imageSize: options.imageSize,
    channels: options.channels,
    hiddenLayer: options.hiddenLayer,
    representation: options.representation,
    seed: options.seed ?? 0,
  };
  if (!Number.isInteger(o.imageSize) || o.imageSize < 1) throw new Error(`imageSize must be a positive integer, got ${options.imageSize}`);
  if (o.channels !== 1 && o.channels !== 3) throw new Error(`channels must be 1 or 3, got ${options.channels}`);
  return o;
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

/** The shared half of a {@link Learner}; a method supplies its heads, `loss`, `dispose` and, if any, `afterStep`. */
export abstract class TwoViewLearner implements Learner {
  abstract readonly method: MethodName;
  abstract readonly parameters: readonly Param[];
  abstract readonly models: ReadonlyArray<readonly [string, tf.LayersModel]>;
  /** The head whose output is the projection z that the loss and `embed({ projection })` read. */
  protected abstract readonly projector: tf.LayersModel;
  readonly onlineEncoder: tf.LayersModel | null;
  readonly representationSize: number;
  readonly tapSize: number;
  protected readonly encode: (x: tf.Tensor, training: boolean) => tf.Tensor2D;
  /** A method without a target unless it says so. */
  readonly hasTarget: boolean = false;

  protected constructor(
    readonly options: LearnerCommon,
    private readonly encoder: OnlineEncoder,
  ) {
    this.onlineEncoder = encoder.model;
    this.representationSize = encoder.representationSize;
    this.tapSize = encoder.tapSize;
    this.encode = encoder.encode;
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

  /** Nothing follows the update unless the method says so. */
  afterStep(_tau: number): void {}

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
        const [n1, n2] = kept.map(l2Normalize);
        return tf.stack([zStdOfNormalized(n1), tf.mean(tf.sum(tf.mul(n1, n2), 1))]) as tf.Tensor1D;
      });
      return { loss: value, grads: this.parameters.map((p) => grads[p.variable.name]), monitors };
    } finally {
      tf.dispose([...kept, ...fixed]);
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

  /** Frees the method's heads (the encoder is the caller's). */
  abstract dispose(): void;
}
