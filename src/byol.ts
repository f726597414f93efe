// The BYOL learner (Grill et al. 2020): an online network (encoder → projector → predictor) learns
// to predict a target network's projection of another view of the same image; the target
// (encoder' → projector') is an exponential moving average of the online weights.
import * as tf from "@tensorflow/tfjs";
import { createAugmenter, type Augmenter, type AugmentFn } from "./augment/augmenter";
import { byolPaper, type PolicyPair, type ViewPolicy } from "./augment/policy";
import type { ImageSet } from "./data/types";
import { blendTargets } from "./ema";
import { byolLossTensor } from "./loss";
import { mlpHead, simsiamProjector } from "./nets/mlp";
import { encoderOutputSize, representationModel, type EncoderFn } from "./nets/tap";
import { Optimizer, type OptimizerConfig, type OptimizerState, type Param } from "./train/optimizers";
import { tauAt } from "./train/schedules";

/** Options of {@link BYOL.create}, named as in byol-pytorch where they exist there. */
export interface BYOLOptions {
  /**
   * The online encoder: a LayersModel tapped at `hiddenLayer`, or a function `x → features`
   * (SimSiam mode only: a function has no weights to copy into a target). A function is called as
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
  /** Output size of projector and predictor (256). */
  projectionSize?: number;
  /** Hidden size of projector and predictor (4096). */
  projectionHiddenSize?: number;
  /** τ_base of the target's moving average (0.99). */
  movingAverageDecay?: number;
  /** `'cosine'` raises τ to 1 over `totalSteps`; `'constant'` keeps τ_base (default cosine). */
  tauSchedule?: "cosine" | "constant";
  /** Total optimizer steps, for the τ schedule (the trainer sets it). */
  totalSteps?: number;
  /** false ⇒ SimSiam: the target is the online network with stop-gradient (default true). */
  useMomentum?: boolean;
  /** Optimizer (Adam by default). */
  optimizer?: OptimizerConfig;
  /** Learning rate when the caller does not pass one per step (3e-4). */
  learningRate?: number;
  /**
   * The predictor's learning rate as a multiple of the others' (1). A faster predictor tracks the
   * optimal predictor sooner, which speeds short runs (Tian et al. 2021, DirectPred; BYOL's appendix).
   */
  predictorLearningRateScale?: number;
  /** Loss implementation: our kernel (`'kernel'`), tfjs ops (`'tfjs'`), or `'auto'` by backend. */
  lossImpl?: "kernel" | "tfjs" | "auto";
  /** Seed for the heads' initialization (the encoder's weights are the caller's). */
  seed?: number;
}

/** A batch of images, NHWC: uint8 0–255 or float32 0–1. */
export interface ImageBatch {
  images: Uint8Array | Float32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
}

/** Options of {@link BYOL.embed}. */
export interface EmbedOptions {
  /** Also return the online projection z. */
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
  /** The symmetric loss, in [0, 8]. */
  loss: number;
  /** Mean over dimensions of the std of L2-normalized online projections; → 0 on collapse. */
  zStd: number;
  /** Mean cosine between the online projections of the two views. */
  viewCosine: number;
  /** τ used for the moving average after this step (NaN in SimSiam mode). */
  tau: number;
  /** Learning rate used by this step. */
  learningRate: number;
}

/** Named weights of the learner, grouped as in the paper. */
export interface LearnerNetworks {
  online: { encoder: tf.LayersModel | null; projector: tf.LayersModel };
  target: { encoder: tf.LayersModel; projector: tf.LayersModel } | null;
  predictor: tf.LayersModel;
}

type Forward = (x: tf.Tensor, training: boolean) => tf.Tensor2D;

const modelForward = (m: tf.LayersModel): Forward => (x, training) => m.apply(x, { training }) as tf.Tensor2D;

/** Stop-gradient: the identity whose gradient is zero. */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({ value: x.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;

/** A structural copy of a model with the same weights (the target network). */
async function cloneModel(model: tf.LayersModel, name: string): Promise<tf.LayersModel> {
  const topology = model.toJSON(undefined, false) as tf.io.ModelJSON["modelTopology"];
  const copy = await tf.models.modelFromJSON({ modelTopology: topology as tf.io.ModelJSON["modelTopology"] } as tf.io.ModelJSON);
  copy.setWeights(model.getWeights());
  (copy as { name: string }).name = name;
  return copy;
}

/** Whether `layer` (none given, or the projector's own `hiddenLayer`) is what the projector reads. */
function isTap(o: { hiddenLayer?: string | number }, layer: string | undefined): boolean {
  return layer === undefined || layer === o.hiddenLayer;
}

/** Biases and normalization parameters take no LARS adaptation or weight decay (rank ≤ 1). */
function paramsOf(prefix: string, model: tf.LayersModel, lrScale = 1): Param[] {
  return model.trainableWeights.map((w) => ({ name: `${prefix}.${w.originalName}`, variable: w.read() as tf.Variable, adapt: w.shape.length > 1, lrScale }));
}

/**
 * The learner. Create with {@link BYOL.create}; call {@link BYOL.stepViews} with two augmented views
 * (or let the trainer augment). Dispose when done.
 */
export class BYOL {
  readonly options: Required<Omit<BYOLOptions, "hiddenLayer" | "representation" | "totalSteps" | "encoder" | "augment" | "augment2">> & Pick<BYOLOptions, "hiddenLayer" | "representation" | "totalSteps">;
  /** The online encoder tapped at the representation (null for function encoders). */
  readonly onlineEncoder: tf.LayersModel | null;
  readonly onlineProjector: tf.LayersModel;
  readonly predictor: tf.LayersModel;
  /** Target encoder and projector (null in SimSiam mode). */
  readonly targetEncoder: tf.LayersModel | null;
  readonly targetProjector: tf.LayersModel | null;
  /** Size of the representation `embed` returns by default (`representation`, else the tap). */
  readonly representationSize: number;
  /** Size of the tap the projector reads. */
  readonly tapSize: number;
  private readonly encode: Forward;
  /** The caller's whole encoder model (the taps of `embed` read its layers). */
  private readonly encoderModel: tf.LayersModel | null;
  private readonly taps = new Map<string, tf.LayersModel>();
  private readonly optimizer: Optimizer;
  private readonly params: Param[];
  private readonly emaPairs: Array<[tf.Variable, tf.Variable]>;
  private stepIndex = 0;
  private readonly augmenter: Augmenter;

  private constructor(o: BYOL["options"], augmenter: Augmenter, parts: { encoderModel: tf.LayersModel | null; onlineEncoder: tf.LayersModel | null; encode: Forward; representationSize: number; representationNet: tf.LayersModel | null; onlineProjector: tf.LayersModel; predictor: tf.LayersModel; targetEncoder: tf.LayersModel | null; targetProjector: tf.LayersModel | null }) {
    this.options = o;
    this.augmenter = augmenter;
    this.onlineEncoder = parts.onlineEncoder;
    this.encoderModel = parts.encoderModel;
    this.encode = parts.encode;
    this.tapSize = parts.representationSize;
    if (parts.representationNet) this.taps.set(o.representation!, parts.representationNet);
    this.representationSize = parts.representationNet ? encoderOutputSize(parts.representationNet) : this.tapSize;
    this.onlineProjector = parts.onlineProjector;
    this.predictor = parts.predictor;
    this.targetEncoder = parts.targetEncoder;
    this.targetProjector = parts.targetProjector;
    this.optimizer = new Optimizer(o.optimizer);
    this.params = [
      ...(this.onlineEncoder ? paramsOf("online.encoder", this.onlineEncoder) : []),
      ...paramsOf("online.projector", this.onlineProjector),
      ...paramsOf("predictor", this.predictor, o.predictorLearningRateScale),
    ];
    this.emaPairs = [];
    if (this.targetEncoder && this.onlineEncoder && this.targetProjector) {
      const pair = (t: tf.LayersModel, s: tf.LayersModel) =>
        t.trainableWeights.map((w, i) => [w.read() as tf.Variable, s.trainableWeights[i].read() as tf.Variable] as [tf.Variable, tf.Variable]);
      this.emaPairs.push(...pair(this.targetEncoder, this.onlineEncoder), ...pair(this.targetProjector, this.onlineProjector));
    }
  }

  /** Builds the online heads and the target copy around `options.encoder`. */
  static async create(options: BYOLOptions): Promise<BYOL> {
    const o: BYOL["options"] = {
      imageSize: options.imageSize,
      channels: options.channels,
      hiddenLayer: options.hiddenLayer,
      representation: options.representation,
      projectionSize: options.projectionSize ?? 256,
      projectionHiddenSize: options.projectionHiddenSize ?? 4096,
      movingAverageDecay: options.movingAverageDecay ?? 0.99,
      tauSchedule: options.tauSchedule ?? "cosine",
      totalSteps: options.totalSteps,
      useMomentum: options.useMomentum ?? true,
      optimizer: options.optimizer ?? { name: "adam" },
      learningRate: options.learningRate ?? 3e-4,
      predictorLearningRateScale: options.predictorLearningRateScale ?? 1,
      lossImpl: options.lossImpl ?? "auto",
      seed: options.seed ?? 0,
    };
    if (!Number.isInteger(o.imageSize) || o.imageSize < 1) throw new Error(`imageSize must be a positive integer, got ${options.imageSize}`);
    if (o.channels !== 1 && o.channels !== 3) throw new Error(`channels must be 1 or 3, got ${options.channels}`);
    if (!(o.predictorLearningRateScale > 0 && Number.isFinite(o.predictorLearningRateScale))) throw new Error(`predictorLearningRateScale must be a positive number, got ${options.predictorLearningRateScale}`);
    if (!(o.movingAverageDecay >= 0 && o.movingAverageDecay <= 1)) throw new Error(`movingAverageDecay must be in [0, 1], got ${o.movingAverageDecay}`);

    let onlineEncoder: tf.LayersModel | null = null;
    let encode: Forward;
    let representationSize: number;
    if (typeof options.encoder === "function") {
      if (o.useMomentum) throw new Error("a function encoder has no weights to copy into a target: use a tfjs LayersModel, or useMomentum: false (SimSiam)");
      const fn = options.encoder as (x: tf.Tensor, training: boolean) => tf.Tensor;
      encode = (x, training) => fn(x, training) as tf.Tensor2D;
      representationSize = encoderOutputSize(options.encoder, [o.imageSize, o.imageSize, o.channels]);
    } else if (options.encoder instanceof tf.LayersModel) {
      const inShape = options.encoder.inputs[0].shape;
      const [h, w, c] = inShape.slice(1);
      if ((h !== null && h !== o.imageSize) || (w !== null && w !== o.imageSize) || c !== o.channels) {
        throw new Error(`encoder input is [${inShape}] but imageSize ${o.imageSize} and channels ${o.channels} were given`);
      }
      onlineEncoder = o.hiddenLayer === undefined ? options.encoder : representationModel(options.encoder, o.hiddenLayer);
      encode = modelForward(onlineEncoder);
      representationSize = encoderOutputSize(onlineEncoder);
    } else {
      throw new Error("encoder must be a tfjs LayersModel or a function (x, training) => features");
    }

    // a representation the encoder cannot give fails here, before anything is allocated
    let representationNet: tf.LayersModel | null = null;
    if (!isTap(o, o.representation)) {
      if (!(options.encoder instanceof tf.LayersModel)) throw new Error(`representation '${o.representation}' needs a LayersModel encoder; this learner's encoder is a function`);
      try {
        representationNet = representationModel(options.encoder, o.representation!);
      } catch (e) {
        throw new Error(`representation: ${(e as Error).message}`);
      }
    }
    const head = (name: string, inputSize: number, simsiam: boolean, seed: number) =>
      (simsiam ? simsiamProjector : mlpHead)({ inputSize, hiddenSize: o.projectionHiddenSize, outputSize: o.projectionSize, name, seed });
    const onlineProjector = head("projector", representationSize, !o.useMomentum, o.seed * 2 + 1);
    const predictor = head("predictor", o.projectionSize, false, o.seed * 2 + 2);
    let targetEncoder: tf.LayersModel | null = null;
    let targetProjector: tf.LayersModel | null = null;
    if (o.useMomentum && onlineEncoder) {
      targetEncoder = await cloneModel(onlineEncoder, "target_encoder");
      targetProjector = await cloneModel(onlineProjector, "target_projector");
    }
    const a = options.augment;
    const policy = a === undefined ? byolPaper() : typeof a === "function" || "view1" in a ? a : { view1: a, view2: options.augment2 ?? a };
    const augmenter = await createAugmenter({ policy, outSize: o.imageSize, channels: o.channels as 1 | 3, seed: o.seed });
    return new BYOL(o, augmenter, { encoderModel: options.encoder instanceof tf.LayersModel ? options.encoder : null, onlineEncoder, encode, representationSize, representationNet, onlineProjector, predictor, targetEncoder, targetProjector });
  }

  /** Number of optimizer steps taken. */
  get steps(): number {
    return this.stepIndex;
  }

  /**
   * Binds the τ schedule to the run's real length (the trainer knows it only after timing a few
   * steps when training for a fixed time).
   */
  setTotalSteps(total: number): void {
    if (!Number.isInteger(total) || total < 1) throw new Error(`total steps must be a positive integer, got ${total}`);
    this.options.totalSteps = total;
  }

  /** τ for optimizer step `k` under the configured schedule. */
  tau(k = this.stepIndex): number {
    const total = this.options.totalSteps ?? 0;
    const schedule = total > 0 ? this.options.tauSchedule : "constant";
    return tauAt(k, total, this.options.movingAverageDecay, schedule);
  }

  /** The trainable parameters the optimizer updates (online encoder, projector, predictor). */
  get parameters(): readonly Param[] {
    return this.params;
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

  private lossImpl(): "kernel" | "tfjs" {
    if (this.options.lossImpl !== "auto") return this.options.lossImpl;
    // the kernel needs the predictions on the CPU: it pays where tensors already live there
    return tf.getBackend() === "cpu" || tf.getBackend() === "wasm" ? "kernel" : "tfjs";
  }

  /**
   * Forward both views, the symmetric loss and its gradients, without updating anything but
   * BatchNorm statistics. The caller owns (and must dispose) `loss` and `grads`.
   */
  computeGradients(view1: tf.Tensor4D, view2: tf.Tensor4D): { loss: tf.Scalar; grads: tf.Tensor[]; monitors: tf.Tensor1D } {
    this.checkViews(view1, view2);
    const project = (enc: Forward, proj: tf.LayersModel, x: tf.Tensor) => proj.apply(enc(x, true), { training: true }) as tf.Tensor2D;
    // target projections: training-mode BN (its own statistics), no gradient
    const targets = this.targetEncoder && this.targetProjector
      ? tf.tidy(() => {
          const enc = modelForward(this.targetEncoder!);
          return [project(enc, this.targetProjector!, view1), project(enc, this.targetProjector!, view2)];
        })
      : null;
    let kept: tf.Tensor[] = [];
    const impl = this.lossImpl();
    const { value, grads } = tf.variableGrads(() => {
      const z1 = project(this.encode, this.onlineProjector, view1);
      const z2 = project(this.encode, this.onlineProjector, view2);
      const q1 = this.predictor.apply(z1, { training: true }) as tf.Tensor2D;
      const q2 = this.predictor.apply(z2, { training: true }) as tf.Tensor2D;
      kept = [tf.keep(z1), tf.keep(z2)];
      const [t1, t2] = targets ?? [stopGradient(z1) as tf.Tensor2D, stopGradient(z2) as tf.Tensor2D];
      return byolLossTensor(q1, t2, q2, t1, { impl });
    }, this.params.map((p) => p.variable));
    const monitors = tf.tidy(() => {
      const [n1, n2] = kept.map((z) => tf.div(z, tf.sqrt(tf.maximum(tf.sum(tf.square(z), 1, true), 1e-24))));
      const zStd = tf.mean(tf.sqrt(tf.moments(n1, 0).variance.mul(n1.shape[0] / Math.max(n1.shape[0] - 1, 1))));
      const cos = tf.mean(tf.sum(tf.mul(n1, n2), 1));
      return tf.stack([zStd, cos]) as tf.Tensor1D;
    });
    tf.dispose(kept);
    if (targets) tf.dispose(targets);
    return { loss: value, grads: this.params.map((p) => grads[p.variable.name]), monitors };
  }

  /**
   * One BYOL step on two augmented views ([B, H, W, C], normalized): loss, optimizer update of
   * online + predictor, then the target's moving average. A failed step (a non-finite loss, or a
   * non-finite input the loss rejects) throws naming the step, with every weight and BatchNorm
   * statistic as before it.
   */
  stepViews(view1: tf.Tensor4D, view2: tf.Tensor4D, learningRate = this.options.learningRate): StepResult {
    // the forward moves BatchNorm statistics: keep them to put back if the step fails
    const stats = [this.onlineEncoder, this.onlineProjector, this.predictor, this.targetEncoder, this.targetProjector].flatMap((m) => m?.nonTrainableWeights ?? []);
    const saved = stats.map((w) => w.read().clone());
    const fail = (why: string): never => {
      stats.forEach((w, i) => w.write(saved[i]));
      tf.dispose(saved);
      throw new Error(`BYOL step ${this.stepIndex}: ${why}; no weights were updated (lower the learning rate, or check the input for NaN)`);
    };
    let out: ReturnType<BYOL["computeGradients"]>;
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
    const tau = this.options.useMomentum ? this.tau() : NaN;
    if (this.options.useMomentum) this.blendTarget(tau);
    const result: StepResult = { step: this.stepIndex, loss: lossValue, zStd, viewCosine, tau, learningRate };
    this.stepIndex++;
    return result;
  }

  /**
   * The optimizer update from gradients ordered as {@link BYOL.parameters} (from
   * {@link BYOL.computeGradients}); the caller keeps ownership of `grads`. {@link BYOL.stepViews}
   * does this, then the moving average.
   */
  applyGradients(grads: tf.Tensor[], learningRate = this.options.learningRate): void {
    this.optimizer.apply(this.params, grads, learningRate);
  }

  /**
   * One BYOL step on a batch of raw images (byol-pytorch's `loss = learner(images)` followed by the
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
   * target ← τ·target + (1 − τ)·online over every trainable parameter of encoder and projector
   * (src/ema.ts: one kernel call on wasm, tfjs ops elsewhere).
   */
  private blendTarget(tau: number): void {
    blendTargets(this.emaPairs, tau);
  }

  /**
   * The moving-average update by hand (byol-pytorch's `update_moving_average`), with τ from the
   * schedule at the current step unless given.
   */
  updateMovingAverage(tau = this.tau()): void {
    if (!this.options.useMomentum) throw new Error("updateMovingAverage: this learner has useMomentum: false (SimSiam); there is no target to update");
    if (!(tau >= 0 && tau <= 1)) throw new Error(`updateMovingAverage: tau must be in [0, 1], got ${tau}`);
    this.blendTarget(tau);
  }

  /**
   * The online representation (and projection), in eval mode, in batches of `batchSize`: of
   * normalized float images [N, H, W, C], or of a uint8 {@link ImageSet} normalized with
   * `normalization` (the training policy's mean/std) and resized to the learner's input size.
   * Returns Float32Arrays [N, F] (and [N, P]).
   */
  async embed(images: tf.Tensor4D | ImageSet, options: EmbedOptions = {}): Promise<{ representation: Float32Array; projection?: Float32Array }> {
    const set = images instanceof tf.Tensor ? null : images;
    const n = set ? set.n : (images as tf.Tensor4D).shape[0];
    if (set && set.channels !== this.options.channels) throw new Error(`embed: the images have ${set.channels} channel(s), the learner expects ${this.options.channels}`);
    if (set && !options.normalization) throw new Error("embed: uint8 images need normalization {mean, std} (the training policy's)");
    const { mean, std } = options.normalization ?? { mean: [0], std: [1] };
    const bs = options.batchSize ?? 256;
    const size = this.options.imageSize;
    const tap = options.tap ?? this.options.representation;
    const tapped = isTap(this.options, tap) ? null : this.tapModel(tap!);
    const encode = tapped ? modelForward(tapped) : this.encode;
    const width = tapped ? encoderOutputSize(tapped) : this.tapSize;
    const rep = new Float32Array(n * width);
    const proj = options.projection ? new Float32Array(n * this.options.projectionSize) : undefined;
    for (let s = 0; s < n; s += bs) {
      const e = Math.min(n, s + bs);
      const [y, z] = tf.tidy((): tf.Tensor2D[] => {
        let x: tf.Tensor4D;
        if (set) {
          const per = set.height * set.width * set.channels;
          const u8 = tf.tensor4d(set.images.subarray(s * per, e * per), [e - s, set.height, set.width, set.channels], "int32");
          x = tf.div(tf.sub(tf.div(u8, 255), tf.tensor1d(mean)), tf.tensor1d(std));
          if (set.height !== size || set.width !== size) x = tf.image.resizeBilinear(x, [size, size]);
        } else x = (images as tf.Tensor4D).slice([s, 0, 0, 0], [e - s, -1, -1, -1]);
        const y = encode(x, false);
        return proj ? [y, this.onlineProjector.apply(tapped ? this.encode(x, false) : y, { training: false }) as tf.Tensor2D] : [y];
      });
      rep.set(await y.data(), s * width);
      if (z && proj) proj.set(await z.data(), s * this.options.projectionSize);
      tf.dispose(z ? [y, z] : [y]);
    }
    return { representation: rep, projection: proj };
  }

  /**
   * The online encoder as a model whose output is `tap` (default: the learner's representation),
   * sharing its weights; built once per name. Null for a function encoder's own output.
   */
  onlineEncoderAt(tap = this.options.representation): tf.LayersModel | null {
    return isTap(this.options, tap) ? this.onlineEncoder : this.tapModel(tap!);
  }

  /** The online encoder tapped at `tap` (built once per name). */
  private tapModel(tap: string): tf.LayersModel {
    if (!this.encoderModel) throw new Error(`embed: tap '${tap}' needs a LayersModel encoder; this learner's encoder is a function`);
    let m = this.taps.get(tap);
    if (!m) this.taps.set(tap, (m = representationModel(this.encoderModel, tap)));
    return m;
  }

  /** Optimizer state (copies the caller owns) and the step counter, for checkpoints. */
  getOptimizerState(): OptimizerState {
    return this.optimizer.getState();
  }

  /** Restores optimizer state and the step counter. */
  setOptimizerState(state: OptimizerState, step: number): void {
    this.optimizer.setState(state, this.params);
    this.stepIndex = step;
  }

  /** The networks, grouped as in the paper. */
  get networks(): LearnerNetworks {
    return {
      online: { encoder: this.onlineEncoder, projector: this.onlineProjector },
      target: this.targetEncoder && this.targetProjector ? { encoder: this.targetEncoder, projector: this.targetProjector } : null,
      predictor: this.predictor,
    };
  }

  /** Frees the heads, the target, the optimizer state and the augmenter's kernel memory (not the caller's encoder). */
  dispose(): void {
    this.augmenter.dispose();
    this.optimizer.dispose();
    // the tapped encoders hold no weights of their own: their layers are the caller's encoder's
    for (const m of [this.onlineProjector, this.predictor, this.targetEncoder, this.targetProjector]) m?.dispose();
  }
}
