// The training loop, universal (browser and Node): batches in a seeded, resumable order, two
// augmented views per batch, one learner step each, the learning rate from its schedule.
import * as tf from "@tensorflow/tfjs";
import type { Learner, StepResult } from "../learner";
import { batchesPerEpoch, batchStream, type Batch, type BatchPosition } from "../data/batches";
import type { ImageSet } from "../data/types";
import { learningRateAt, type LrSchedule } from "./schedules";

/** Produces the two augmented views of a batch (normalized float32 NHWC at the learner's size). */
export interface ViewSource {
  views(indices: Uint32Array, step: number): { view1: Float32Array; view2: Float32Array };
  /** Frees what the source holds (kernel memory of an augmenter). */
  dispose?(): void;
}

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  learner: Learner;
  /** Training images (their number and channels: the views come from `views`); labels are never read. */
  data: Pick<ImageSet, "n" | "channels">;
  views: ViewSource;
  batchSize: number;
  /** Seed of the data order. */
  seed: number;
  learningRate: LrSchedule;
  /** Where the data stream resumes (from a checkpoint); default the start. */
  position?: BatchPosition;
}

/** One step's report: the learner's result plus where the data stream stands and the time taken. */
export interface TrainStep extends StepResult {
  /** The next batch to be served (what a checkpoint records to resume). */
  position: BatchPosition;
  /** Wall time of this step, in milliseconds, augmentation included. */
  milliseconds: number;
}

/** Drives a learner over a dataset one step at a time; the caller decides when to stop. */
export class Trainer {
  private readonly stream: Generator<Batch>;
  private next: BatchPosition;

  constructor(readonly options: TrainerOptions) {
    const { data, batchSize } = options;
    const size = options.learner.options.imageSize;
    if (data.channels !== options.learner.options.channels) {
      throw new Error(`the data has ${data.channels} channel(s) but the learner expects ${options.learner.options.channels}`);
    }
    if (batchSize < 2) throw new Error(`batch size ${batchSize} is too small: BatchNorm in training mode needs at least 2`);
    if (data.n < batchSize) throw new Error(`the data holds ${data.n} images, fewer than one batch of ${batchSize}`);
    if (!(size > 0)) throw new Error("the learner has no image size");
    this.next = options.position ?? { epoch: 0, batch: 0 };
    this.stream = batchStream(data.n, batchSize, { seed: options.seed, start: this.next });
  }

  /** The position of the next batch. */
  get position(): BatchPosition {
    return { ...this.next };
  }

  /** Binds both schedules — the learning rate here, the method's own (BYOL's τ) in the learner — to the run's real length. */
  setTotalSteps(total: number): void {
    this.options.learner.setTotalSteps(total);
    this.options.learningRate.totalSteps = total;
  }

  /** Frees the view source (not the learner). */
  dispose(): void {
    this.options.views.dispose?.();
  }

  /** Runs one optimizer step on the next batch. */
  step(): TrainStep {
    const t0 = performance.now();
    const { learner, batchSize } = this.options;
    const batch = this.stream.next().value as Batch;
    const { view1, view2 } = this.options.views.views(batch.indices, learner.steps);
    const shape: [number, number, number, number] = [batchSize, learner.options.imageSize, learner.options.imageSize, learner.options.channels];
    const v1 = tf.tensor4d(view1, shape);
    const v2 = tf.tensor4d(view2, shape);
    let result: StepResult;
    try {
      result = learner.stepViews(v1, v2, learningRateAt(learner.steps, this.options.learningRate));
    } finally {
      tf.dispose([v1, v2]);
    }
    const perEpoch = batchesPerEpoch(this.options.data.n, batchSize);
    this.next = batch.batch + 1 >= perEpoch ? { epoch: batch.epoch + 1, batch: 0 } : { epoch: batch.epoch, batch: batch.batch + 1 };
    return { ...result, position: this.position, milliseconds: performance.now() - t0 };
  }
}
