// The worker's side of the API: one run at a time on the project's training loop (createTrainer →
// Trainer.step), driven by the page's calls. Steps, saves and embeddings take turns (`exclusive`):
// a save or an embedding asked for mid-run reads the weights between two steps, never across one.
import * as tf from "../tf";
import type { Learner } from "../learner";
import { channelStats } from "../data/channel-stats";
import type { ImageSet, LabelledImageSet } from "../data/types";
import { pca } from "../eval/pca";
import { readCheckpointInfo, restoreCheckpoint, serializeCheckpoint } from "../train/checkpoint";
import type { RunConfig } from "../train/config";
import { buildLearner, createTrainer, disposeLearner, evaluateKnn, normalizationOf } from "../train/setup";
import type { Trainer, TrainerState } from "../train/trainer";
import { startWorkerBackend } from "./backend-init";
import { imageSet, runConfig, sameArchitecture, withLabels } from "./inputs";
import type { EmbedResult, ImagesInput, InitOptions, Progress, ReadyInfo, RunResult, StartOptions, TrainerApi } from "./protocol";
import { yieldToEvents } from "./yield";

/** The run a worker holds: what a checkpoint records (the `byol train` fields). */
interface Model {
  learner: Learner;
  config: RunConfig;
  /** Where the run stands between starts; while one runs, its trainer knows. */
  state: TrainerState;
  trainer: Trainer | null;
  history: Array<{ step: number; loss: number; zStd: number; knn?: number; minutes: number }>;
  elapsedMs: number;
}

/** A run in progress and what the page asked of it. */
interface Active {
  stop: boolean;
  paused: boolean;
  wake: () => void;
  ended: Promise<void>;
}

/** The kNN monitor of a run: queries vote against a bank of labelled training images. */
interface Monitor {
  every: number;
  bank: LabelledImageSet;
  queries: LabelledImageSet;
}

const kind = (v: unknown) => (v === undefined ? "missing" : Object.prototype.toString.call(v));

export class TrainerSession implements TrainerApi {
  private ready: ReadyInfo | null = null;
  private model: Model | null = null;
  /** The last run's training images (a resumed run may reuse them: the page gave its buffer away). */
  private data: ImageSet | null = null;
  private active: Active | null = null;
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly report: (p: Progress) => void) {}

  async init(options: InitOptions): Promise<ReadyInfo> {
    if (this.ready) throw new Error(`init: the backend is already ${this.ready.backend.name} (a new worker starts another)`);
    this.ready = await startWorkerBackend(options ?? ({} as InitOptions));
    return this.ready;
  }

  async start(options: StartOptions): Promise<RunResult> {
    this.need("start");
    if (this.active) throw new Error("start: a run is already in progress (an earlier start() has not ended); stop() it first");
    let ended!: () => void;
    const active: Active = { stop: false, paused: false, wake: () => undefined, ended: new Promise((r) => (ended = r)) };
    this.active = active;
    try {
      return await this.run(options ?? {}, active);
    } finally {
      this.active = null;
      ended();
    }
  }

  async pause(): Promise<{ step: number }> {
    const active = this.running("pause");
    active.paused = true;
    await this.exclusive(() => undefined);
    return { step: stepOf(this.model) };
  }

  resume(): { step: number } {
    const active = this.running("resume");
    active.paused = false;
    active.wake();
    return { step: stepOf(this.model) };
  }

  async stop(): Promise<{ step: number }> {
    const active = this.running("stop");
    active.stop = true;
    active.paused = false;
    active.wake();
    await active.ended;
    return { step: stepOf(this.model) };
  }

  async embed(input: ImagesInput): Promise<EmbedResult> {
    const { learner, config } = this.need("embed");
    const set = imageSet("embed", "", input ?? {}, config.channels);
    if (set.n < 2) throw new Error(`embed: images hold ${set.n} image, the 3-D projection needs at least 2`);
    return this.exclusive(async () => {
      const { representation } = await learner.embed(set, { normalization: normalizationOf(config) });
      const dims = representation.length / set.n;
      const p = pca({ data: representation, shape: [set.n, dims] }, 3);
      return { n: set.n, dims, representation, projection: p.projected.data, explainedVarianceRatio: Array.from(p.explainedVarianceRatio) };
    });
  }

  save(): Promise<Uint8Array> {
    this.need("save");
    return this.exclusive(async () => {
      const m = this.model!;
      return serializeCheckpoint(m.learner, m.trainer ? await m.trainer.state() : m.state, { config: m.config, history: m.history, elapsedMs: m.elapsedMs });
    });
  }

  async load(bytes: Uint8Array): Promise<{ step: number; config: RunConfig }> {
    if (!this.ready) throw new Error("load: the worker has no backend yet (createWorkerTrainer starts it)");
    if (this.active) throw new Error("load: a run is in progress; stop() it first");
    if (!(bytes instanceof Uint8Array)) throw new Error(`load: bytes is ${kind(bytes)}, expected a Uint8Array`);
    const source = "load: checkpoint";
    const info = readCheckpointInfo(bytes, source);
    const config = info.config as RunConfig | undefined;
    if (!config || typeof config !== "object" || !config.encoder) throw new Error(`${source}: info.config is ${JSON.stringify(config) ?? "missing"}: not written by a byol-ts run`);
    if (this.model) sameArchitecture("load", config, this.model.config);
    const learner = await buildLearner(config);
    let state: TrainerState;
    try {
      ({ state } = restoreCheckpoint(learner, bytes, source));
    } catch (e) {
      disposeLearner(learner);
      throw e;
    }
    const history = Array.isArray(info.history) ? (info.history as Model["history"]) : [];
    this.replace({ learner, config, state, trainer: null, history, elapsedMs: Number(info.elapsedMs) || 0 });
    return { step: state.step, config };
  }

  /** Validates the options, builds or reuses the run, then steps until done, stopped or failed. */
  private async run(o: StartOptions, active: Active): Promise<RunResult> {
    if (o.config !== undefined && o.resume) throw new Error("start: both config and resume: true given; pass config for a new run or resume: true to continue the current one");
    if (o.config === undefined && !o.resume) throw new Error("start: config is missing (or pass resume: true to continue the current run)");
    if (o.resume && !this.model) throw new Error("start: resume is true but this worker has no run to continue (load a checkpoint or start one with config)");
    const config = o.resume ? this.model!.config : runConfig(o.config!);
    const reuse = o.resume && o.images === undefined && this.data !== null;
    const data = reuse ? this.data! : imageSet("start", "", o, config.channels);
    if (o.labels !== undefined) data.labels = withLabels("start", "labels", data, o.labels).labels;
    if (data.n < config.batchSize) throw new Error(`start: images hold ${data.n} images, fewer than config.batchSize ${config.batchSize}`);
    if (!o.resume) config.normalization ??= channelStats(data);
    const monitor = o.knn === undefined ? null : this.monitor(o.knn, data, config);
    const from = o.resume ? this.model!.state.step : 0;
    if (from >= config.totalSteps) throw new Error(`start: the run has finished (step ${from} of config.totalSteps ${config.totalSteps}); pass config for a new one`);
    const until = o.untilStep ?? config.totalSteps;
    if (!Number.isInteger(until) || until <= from || until > config.totalSteps) throw new Error(`start: untilStep is ${until}, expected an integer in ${from + 1}..${config.totalSteps} (config.totalSteps)`);
    const state = o.resume ? this.model!.state : undefined;
    const learner = o.resume ? this.model!.learner : await buildLearner(config);
    let trainer: Trainer;
    try {
      trainer = await createTrainer(config, learner, data, { state });
    } catch (e) {
      if (!o.resume) disposeLearner(learner);
      throw new Error(`start: ${(e as Error).message}`);
    }
    if (!o.resume) this.replace({ learner, config, state: await trainer.state(), trainer: null, history: [], elapsedMs: 0 });
    this.data = data;
    const model = this.model!;
    model.trainer = trainer;
    try {
      await yieldToEvents(); // a stop() sent right behind start() is seen before the first step
      const evaluate = async (step: number) => {
        const accuracy = await this.exclusive(() => evaluateKnn(model.learner, monitor!.bank, monitor!.queries, { normalization: normalizationOf(config) }));
        const entry = model.history.find((h) => h.step === step);
        if (entry) entry.knn = accuracy;
        this.report({ kind: "knn", step, accuracy });
      };
      if (monitor && from === 0 && !active.stop) await evaluate(0);
      let evaluated = from;
      while (trainer.steps < until && !active.stop) {
        if (active.paused) {
          await new Promise<void>((wake) => (active.wake = wake));
          continue;
        }
        const r = await this.exclusive(async () => {
          const r = await trainer.step();
          model.elapsedMs += r.milliseconds;
          model.history.push({ step: trainer.steps, loss: r.loss, zStd: r.zStd, minutes: model.elapsedMs / 60_000 });
          return r;
        });
        const step = trainer.steps;
        this.report({ kind: "step", step, totalSteps: config.totalSteps, loss: r.loss, zStd: r.zStd, milliseconds: r.milliseconds, imagesPerSecond: (1000 * config.batchSize) / r.milliseconds, numTensors: tf.memory().numTensors });
        if (monitor && step % monitor.every === 0) await evaluate((evaluated = step));
        await yieldToEvents();
      }
      const step = trainer.steps;
      if (step === from) throw new Error(`start: stopped by stop() before step ${from + 1} of ${config.totalSteps} completed; nothing was trained`);
      if (monitor && evaluated !== step) await evaluate(step);
      return { step, totalSteps: config.totalSteps, stopped: step < until };
    } finally {
      model.state = await trainer.state();
      model.trainer = null;
      trainer.dispose();
    }
  }

  /** The kNN monitor a start asks for, checked against the training images. */
  private monitor(knn: NonNullable<StartOptions["knn"]>, data: ImageSet, config: RunConfig): Monitor {
    if (!Number.isInteger(knn.every) || knn.every < 1) throw new Error(`start: knn.every is ${knn.every}, expected a positive integer`);
    const bankSize = knn.bankSize ?? data.n;
    if (!Number.isInteger(bankSize) || bankSize < 1 || bankSize > data.n) throw new Error(`start: knn.bankSize is ${bankSize}, expected an integer in 1..${data.n} (the training images)`);
    const labelled = withLabels("start", "labels", data, data.labels);
    const per = data.height * data.width * data.channels;
    const bank = { ...labelled, n: bankSize, images: data.images.subarray(0, bankSize * per), labels: labelled.labels.subarray(0, bankSize) };
    const queries = withLabels("start", "knn.queries.labels", imageSet("start", "knn.queries.", knn.queries ?? {}, config.channels), knn.queries?.labels);
    return { every: knn.every, bank, queries };
  }

  /** Replaces the worker's run, freeing the previous one's weights. */
  private replace(model: Model): void {
    if (this.model) disposeLearner(this.model.learner);
    this.model = model;
  }

  private need(method: string): Model {
    if (!this.ready) throw new Error(`${method}: the worker has no backend yet (createWorkerTrainer starts it)`);
    if (method !== "start" && !this.model) throw new Error(`${method}: this worker has no model yet (start a run or load a checkpoint)`);
    return this.model!;
  }

  private running(method: string): Active {
    if (!this.active) throw new Error(`${method}: no run in progress`);
    return this.active;
  }

  /** Runs `fn` after every earlier exclusive task has settled. */
  private exclusive<T>(fn: () => T | Promise<T>): Promise<T> {
    const result = this.turn.then(fn);
    this.turn = result.catch(() => undefined);
    return result;
  }
}

/** Optimizer steps of the worker's run (0 without one). */
function stepOf(model: Model | null): number {
  return model ? model.trainer?.steps ?? model.state.step : 0;
}
