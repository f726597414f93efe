// Builds a run's pieces from its configuration: encoder, learner, augmentation, evaluation. The CLI,
// the browser demo and `--resume` share this, so a checkpoint's config rebuilds the same networks.
import * as tf from "../tf";
import { byolPaper, byolPytorch, resolveViewPolicy } from "../augment/policy";
import { BYOL } from "../byol";
import type { Learner, MethodName } from "../learner";
import { VICReg } from "../methods/vicreg";
import type { AnyImageSet, LabelledAnyImageSet } from "../data/any-images";
import type { Matrix } from "../eval/features";
import { knnAccuracy } from "../eval/knn";
import { resnet } from "../nets/resnet";
import { smallCnn } from "../nets/small-cnn";
import { methodOf, representationOf, type RunConfig } from "./config";
import { Trainer, type TrainerOptions } from "./trainer";

/** The online encoder a config names, with the `avgpool` representation as its output. */
export function buildEncoder(config: RunConfig): tf.LayersModel {
  const { arch, width, stem, zeroInitResidual, depth, stages } = config.encoder;
  const common = { inputSize: config.imageSize, channels: config.channels, width, seed: config.seed };
  if (arch === "small-cnn") return smallCnn({ ...common, depth, stages });
  const layers = ({ resnet18: 18, resnet34: 34, resnet50: 50 } as const)[arch];
  if (!layers) throw new Error(`unknown encoder architecture ${JSON.stringify(arch)}: use resnet18, resnet34, resnet50 or small-cnn`);
  return resnet(layers, { ...common, stem, zeroInitResidual });
}

/** Frees a learner built by {@link buildLearner}, its encoder included (a learner leaves its encoder to the owner). */
export function disposeLearner(learner: Learner): void {
  const encoder = learner.onlineEncoder;
  learner.dispose();
  encoder?.dispose();
}

/** Whether the config's encoder can give its representation (a grid needs a last feature map at least its size). */
export function representationFits(config: RunConfig): boolean {
  const grid = /^grid(\d)$/.exec(representationOf(config));
  if (!grid) return true;
  const encoder = buildEncoder(config);
  try {
    const [h, w] = (encoder.getLayer("avgpool").input as tf.SymbolicTensor).shape.slice(1, 3) as number[];
    return h >= Number(grid[1]) && w >= Number(grid[1]);
  } finally {
    encoder.dispose();
  }
}

/** The methods {@link buildLearner} builds. */
export const METHODS: readonly MethodName[] = ["byol", "simsiam", "vicreg"];

/** The learner for a config (fresh weights from its seed): the method it names, around its encoder. */
export async function buildLearner(config: RunConfig): Promise<Learner> {
  const method = methodOf(config);
  if (!METHODS.includes(method)) throw new Error(`unknown method ${JSON.stringify(method)}: use ${METHODS.join(", ")}`);
  const common = {
    encoder: buildEncoder(config),
    imageSize: config.imageSize,
    channels: config.channels,
    hiddenLayer: config.tap ?? "avgpool",
    representation: config.representation,
    projectionSize: config.projectionSize,
    projectionHiddenSize: config.projectionHiddenSize,
    seed: config.seed,
  };
  if (method === "vicreg") return VICReg.create(common);
  return BYOL.create({
    ...common,
    useMomentum: method === "byol",
    predictorLearningRateScale: config.predictorLrScale ?? 1,
  });
}

/** The augmentation policy pair a run config names. */
export function policyOf(config: RunConfig) {
  const preset = config.augment.preset === "byol-pytorch" ? byolPytorch : byolPaper;
  const normalize = config.normalization && { normalize: config.normalization };
  return preset({ ...config.augment.overrides, ...normalize, cropScale: config.augment.cropScale });
}

/** The per-channel normalization the run's first view applies (used to embed raw images). */
export function normalizationOf(config: RunConfig): { mean: number[]; std: number[] } {
  const sizes = { channels: config.channels, inHeight: config.imageSize, inWidth: config.imageSize, outHeight: config.imageSize, outWidth: config.imageSize };
  const n = resolveViewPolicy("view1", policyOf(config).view1, sizes).normalize;
  return n ? { mean: [...n.mean], std: [...n.std] } : { mean: new Array(config.channels).fill(0), std: new Array(config.channels).fill(1) };
}

/**
 * The trainer of a run: `learner` over `data` with the config's augmentation, batch size, data order,
 * optimizer and schedules, from `options.state` (a checkpoint's or a previous trainer's) or the start.
 */
export function createTrainer(config: RunConfig, learner: Learner, data: AnyImageSet, options: Pick<TrainerOptions, "state" | "timePhases"> = {}): Promise<Trainer> {
  return Trainer.create({
    learner,
    data,
    augment: policyOf(config),
    batchSize: config.batchSize,
    totalSteps: config.totalSteps,
    learningRate: config.learningRate,
    warmupSteps: config.warmupSteps,
    tau: { base: config.tauBase, schedule: config.tauSchedule },
    optimizer: config.optimizer,
    seed: config.seed,
    ...options,
  });
}

/** Options of {@link evaluateKnn}. */
export interface KnnEvalOptions {
  normalization: { mean: number[]; std: number[] };
  /** The tap to embed at (default the learner's representation). */
  tap?: string;
  k?: number;
  temperature?: number;
}

/** kNN accuracy of the online representation: `bank` features vote for each `query` image. */
export async function evaluateKnn(learner: Learner, bank: LabelledAnyImageSet, query: LabelledAnyImageSet, options: KnnEvalOptions): Promise<number> {
  const embed = async (set: AnyImageSet): Promise<Matrix> => {
    const { representation } = await learner.embed(set, { normalization: options.normalization, tap: options.tap });
    return { data: representation, shape: [set.n, representation.length / set.n] };
  };
  const numClasses = Math.max(bank.classes.length, 1 + Math.max(...bank.labels));
  return knnAccuracy(await embed(bank), bank.labels, await embed(query), query.labels, {
    k: options.k ?? 200,
    temperature: options.temperature ?? 0.1,
    numClasses,
  });
}
