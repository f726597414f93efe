// The training loop, the only one (browser and Node; CLI, worker, benchmarks and tests drive it):
// batches in a seeded, resumable order, two augmented views per batch, the learner's gradients, the
// optimizer update, then the method's `afterStep`. The trainer owns what a run has beyond the
// method's networks: the run length, the learning-rate and τ schedules, the optimizer, the
// augmentation, the step counter and the rollback of a failed step.
import * as tf from "../tf";
import { createAugmenter, type AugmentFn } from "../augment/augmenter";
import { byolPaper, type PolicyPair, type ViewPolicy } from "../augment/policy";
import type { AnyImageSet } from "../data/any-images";
import { batchesPerEpoch, batchStream, type Batch, type BatchPosition } from "../data/batches";
import type { Learner } from "../learner";
import { Optimizer, type OptimizerConfig, type Param } from "./optimizers";
import { learningRateAt, tauAt } from "./schedules";
import { streamedViews } from "./streamed-views";

/** Produces the two augmented views of a batch (normalized float32 NHWC at the learner's size). */
export interface ViewSource {
  views(indices: Uint32Array, step: number): { view1: Float32Array; view2: Float32Array };
  /** Frees what the source holds (kernel memory of an augmenter). */
  dispose(): void;
}

/** Where a run stands: what a checkpoint stores besides the learner's weights, and a resume restores. */
export interface TrainerState {
  /** Optimizer steps taken. */
  step: number;
  /** The next batch the data stream serves. */
  position: BatchPosition;
  /** The optimizer's update counter and slots, named `<parameter>/<slot>` (plain arrays). */
  optimizer: { step: number; slots: Record<string, { shape: number[]; data: Float32Array }> };
}

/** Options of {@link Trainer.create}. */
export interface TrainerOptions {
  learner: Learner;
  /** Training images, in memory or streamed (uint8 NHWC at the learner's size); labels are never read. */
  data: AnyImageSet;
  /** Augmentation of both views (a policy pair, one policy for both, or a function); default the paper's pair. */
  augment?: PolicyPair | ViewPolicy | AugmentFn;
  batchSize: number;
  /** The run length in optimizer steps: both schedules span it. */
  totalSteps: number;
  /** Peak learning rate (3e-4), reached after `warmupSteps` (0) of linear warm-up, then a half cosine to 0. */
  learningRate?: number;
  warmupSteps?: number;
  /** τ of the target's moving average (methods with a target): `base` (0.99) rising to 1 by a cosine over the run, or `constant`. */
  tau?: { base: number; schedule: "cosine" | "constant" };
  /** Optimizer (Adam by default). */
  optimizer?: OptimizerConfig;
  /** Seed of the data order and the augmentation (0). */
  seed?: number;
  /** Where to continue (a checkpoint's or another trainer's {@link Trainer.state}); default the start. */
  state?: TrainerState;
  /**
   * Wait for the optimizer's work before timing the next phase, so that {@link TrainStep.phases}
   * hold on backends that queue work (WebGL, WebGPU); off, a step does not wait.
   */
  timePhases?: boolean;
}

/** Milliseconds of one step's phases. */
export interface StepPhases {
  /** Both views of the batch (the augmentation kernels) and their upload as tensors. */
  augment: number;
  /** Forward of both views (online and target), the loss, backward, and reading the loss. */
  gradients: number;
  /** The optimizer update. */
  optimizer: number;
  /** The method's `afterStep` (BYOL: the target's moving average). */
  afterStep: number;
}

/** What one step reports. */
export interface TrainStep {
  /** The optimizer step this result belongs to (0-based). */
  step: number;
  /** The method's loss (BYOL's symmetric loss is in [0, 8]). */
  loss: number;
  /** Mean over dimensions of the std of L2-normalized online projections; → 0 on collapse. */
  zStd: number;
  /** Mean cosine between the online projections of the two views. */
  viewCosine: number;
  /** τ of the moving average after this step (NaN for a method without a target). */
  tau: number;
  /** Learning rate of this step. */
  learningRate: number;
  /** The next batch to be served (what a checkpoint records to resume). */
  position: BatchPosition;
  /** Wall time of this step, in milliseconds, augmentation included. */
  milliseconds: number;
  phases: StepPhases;
}

/** Drives a learner over a dataset one step at a time; the caller decides when to stop. */
export class Trainer {
  readonly learner: Learner;
  private readonly options: Required<Pick<TrainerOptions, "batchSize" | "learningRate" | "warmupSteps" | "tau" | "seed" | "timePhases">>;
  private readonly optimizer: Optimizer;
  private stream: Generator<Batch>;
  private readonly n: number;
  private next: BatchPosition;
  private stepIndex: number;
  private total: number;

  private constructor(o: TrainerOptions, private readonly views: ViewSource) {
    this.learner = o.learner;
    this.options = {
      batchSize: o.batchSize,
      learningRate: o.learningRate ?? 3e-4,
      warmupSteps: o.warmupSteps ?? 0,
      tau: o.tau ?? { base: 0.99, schedule: "cosine" },
      seed: o.seed ?? 0,
      timePhases: o.timePhases ?? false,
    };
    this.n = o.data.n;
    this.total = o.totalSteps;
    this.optimizer = new Optimizer(o.optimizer ?? { name: "adam" });
    this.stepIndex = o.state?.step ?? 0;
    if (o.state) {
      const slots = Object.fromEntries(Object.entries(o.state.optimizer.slots).map(([k, t]) => [k, tf.tensor(t.data, t.shape)]));
      try {
        this.optimizer.setState({ step: o.state.optimizer.step, slots }, o.learner.parameters as Param[]);
      } finally {
        tf.dispose(Object.values(slots));
      }
    }
    this.next = o.state ? { ...o.state.position } : { epoch: 0, batch: 0 };
    this.stream = batchStream(o.data.n, o.batchSize, { seed: this.options.seed, start: this.next });
  }

  /** A trainer of `options.learner` over `options.data`; `dispose()` frees its augmenter and optimizer state. */
  static async create(options: TrainerOptions): Promise<Trainer> {
    const { learner, data, batchSize } = options;
    const { imageSize, channels } = learner.options;
    if (data.channels !== channels) throw new Error(`the data has ${data.channels} channel(s) but the learner expects ${channels}`);
    if (!Number.isInteger(batchSize) || batchSize < 2) throw new Error(`batch size ${batchSize} is too small: BatchNorm in training mode needs at least 2`);
    if (data.n < batchSize) throw new Error(`the data holds ${data.n} images, fewer than one batch of ${batchSize}`);
    checkTotal(options.totalSteps);
    const lr = options.learningRate ?? 3e-4;
    if (!(lr >= 0 && Number.isFinite(lr))) throw new Error(`learningRate must be a finite number ≥ 0, got ${options.learningRate}`);
    const tau = options.tau?.base;
    if (tau !== undefined && !(tau >= 0 && tau <= 1)) throw new Error(`tau.base must be in [0, 1], got ${tau}`);
    const position = options.state?.position;
    if (position && position.batch >= batchesPerEpoch(data.n, batchSize)) {
      throw new Error(`the run stands at batch ${position.batch} of epoch ${position.epoch}, past the ${batchesPerEpoch(data.n, batchSize)} batches of an epoch of these ${data.n} images`);
    }
    const a = options.augment ?? byolPaper();
    const policy = typeof a === "function" || "view1" in a ? a : { view1: a, view2: a };
    const augmenter = await createAugmenter({ policy, outSize: imageSize, channels: channels as 1 | 3, seed: options.seed ?? 0 });
    // a streamed set is read batch by batch; one in memory is handed to the augmenter whole
    const views = "images" in data ? (augmenter.setImages(data.images, data), augmenter) : streamedViews(augmenter, data);
    return new Trainer(options, views);
  }

  /** Optimizer steps taken. */
  get steps(): number {
    return this.stepIndex;
  }

  /** The run length both schedules span. */
  get totalSteps(): number {
    return this.total;
  }

  /**
   * Changes the run length (a run for a fixed time knows it only after timing its first steps);
   * both schedules follow.
   */
  set totalSteps(total: number) {
    checkTotal(total);
    this.total = total;
  }

  /** The position of the next batch. */
  get position(): BatchPosition {
    return { ...this.next };
  }

  /** Learning rate of step `k`. */
  learningRateAt(k = this.stepIndex): number {
    return learningRateAt(k, { base: this.options.learningRate, warmupSteps: this.options.warmupSteps, totalSteps: this.total });
  }

  /** τ of the moving average after step `k`. */
  tauAt(k = this.stepIndex): number {
    return tauAt(k, this.total, this.options.tau.base, this.options.tau.schedule);
  }

  /** Where the run stands, for a checkpoint or another trainer (a copy). */
  async state(): Promise<TrainerState> {
    const { step, slots } = this.optimizer.getState();
    const read: TrainerState["optimizer"]["slots"] = {};
    try {
      for (const [k, t] of Object.entries(slots)) read[k] = { shape: t.shape, data: (await t.data()) as Float32Array };
    } finally {
      tf.dispose(Object.values(slots));
    }
    return { step: this.stepIndex, position: this.position, optimizer: { step, slots: read } };
  }

  /**
   * One optimizer step on the next batch. A failed step (a non-finite loss, or an input the learner
   * rejects) rejects naming the step, with every weight, BatchNorm statistic and the data position
   * as before it.
   */
  async step(): Promise<TrainStep> {
    const { learner, options } = this;
    const t0 = performance.now();
    const batch = this.stream.next().value as Batch;
    const { view1, view2 } = this.views.views(batch.indices, this.stepIndex);
    const shape: [number, number, number, number] = [options.batchSize, learner.options.imageSize, learner.options.imageSize, learner.options.channels];
    const v1 = tf.tensor4d(view1, shape);
    const v2 = tf.tensor4d(view2, shape);
    const t1 = performance.now();
    // the forward moves BatchNorm statistics: keep them to put back if the step fails
    const stats = learner.models.flatMap(([, m]) => m.nonTrainableWeights);
    const saved = stats.map((w) => w.read().clone());
    const fail = (why: string): never => {
      stats.forEach((w, i) => w.write(saved[i]));
      tf.dispose(saved);
      this.rewind(batch);
      throw new Error(`${learner.method} step ${this.stepIndex}: ${why}; no weights were updated (lower the learning rate, or check the input for NaN)`);
    };
    let gradients;
    try {
      gradients = learner.computeGradients(v1, v2);
    } catch (e) {
      return fail((e as Error).message);
    } finally {
      tf.dispose([v1, v2]);
    }
    const { loss, grads, monitors } = gradients;
    // read asynchronously: WebGPU's synchronous read is not dependable (SwiftShader returns zeros)
    const [[lossValue], [zStd, viewCosine]] = await Promise.all([loss.data(), monitors.data()]);
    tf.dispose([loss, monitors]);
    if (!Number.isFinite(lossValue)) {
      tf.dispose(grads);
      fail(`the loss is ${lossValue}`);
    }
    tf.dispose(saved);
    const t2 = performance.now();
    const learningRate = this.learningRateAt();
    this.optimizer.apply(learner.parameters as Param[], grads, learningRate);
    tf.dispose(grads);
    if (options.timePhases) await learner.parameters[0]?.variable.data();
    const t3 = performance.now();
    const tau = learner.hasTarget ? this.tauAt() : NaN;
    learner.afterStep(tau);
    const t4 = performance.now();
    const perEpoch = batchesPerEpoch(this.n, options.batchSize);
    this.next = batch.batch + 1 >= perEpoch ? { epoch: batch.epoch + 1, batch: 0 } : { epoch: batch.epoch, batch: batch.batch + 1 };
    const result = { step: this.stepIndex, loss: lossValue, zStd, viewCosine, tau, learningRate, position: this.position };
    this.stepIndex++;
    return { ...result, milliseconds: t4 - t0, phases: { augment: t1 - t0, gradients: t2 - t1, optimizer: t3 - t2, afterStep: t4 - t3 } };
  }

  /** Serves `batch` again next: a failed step leaves the data where it was. */
  private rewind(batch: Batch): void {
    this.next = { epoch: batch.epoch, batch: batch.batch };
    this.stream = batchStream(this.n, this.options.batchSize, { seed: this.options.seed, start: this.next });
  }

  /** Frees the augmenter and the optimizer state (not the learner). */
  dispose(): void {
    this.views.dispose();
    this.optimizer.dispose();
  }
}

function checkTotal(total: number): void {
  if (!Number.isInteger(total) || total < 1) throw new Error(`totalSteps must be a positive integer, got ${total}`);
}
