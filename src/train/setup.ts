// Builds a run's pieces from its configuration: encoder, learner, augmentation, evaluation. The CLI,
// the browser demo and `--resume` share this, so a checkpoint's config rebuilds the same networks.
import * as tf from "@tensorflow/tfjs";
import { byolPaper, byolPytorch, resolveViewPolicy } from "../augment/policy";
import { createAugmenter } from "../augment/augmenter";
import { BYOL } from "../byol";
import type { Learner, MethodName } from "../learner";
import { VICReg } from "../methods/vicreg";
import type { AnyImageSet, LabelledAnyImageSet } from "../data/any-images";
import type { BatchPosition } from "../data/batches";
import type { Matrix } from "../eval/features";
import { knnAccuracy } from "../eval/knn";
import { resnet } from "../nets/resnet";
import { smallCnn } from "../nets/small-cnn";
import { methodOf, representationOf, type RunConfig } from "./config";
import { streamedViews } from "./streamed-views";
import { Trainer } from "./trainer";

/** The online encoder a config names, with the `avgpool` representation as its output. */
export function buildEncoder(config: RunConfig): tf.LayersModel {
  const { arch, width, stem, zeroInitResidual, depth, stages } = config.encoder;
  const common = { inputSize: config.imageSize, channels: config.channels, width, seed: config.seed };
  if (arch === "small-cnn") return smallCnn({ ...common, depth, stages });
  const layers = ({ resnet18: 18, resnet34: 34, resnet50: 50 } as const)[arch];
  if (!layers) throw new Error(`unknown encoder architecture ${JSON.stringify(arch)}: use resnet18, resnet34, resnet50 or small-cnn`);
  return resnet(layers, { ...common, stem, zeroInitResidual });
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
    totalSteps: config.totalSteps,
    optimizer: config.optimizer,
    learningRate: config.learningRate,
    seed: config.seed,
  };
  if (method === "vicreg") return VICReg.create(common);
  return BYOL.create({
    ...common,
    movingAverageDecay: config.tauBase,
    tauSchedule: config.tauSchedule,
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
 * The trainer of a run: `learner` over `data` with the config's augmentation (seeded), batch size,
 * data order and learning-rate schedule, from `position` (a checkpoint's) or the start.
 * `trainer.dispose()` frees the augmenter.
 */
export async function createTrainer(config: RunConfig, learner: Learner, data: AnyImageSet, position?: BatchPosition): Promise<Trainer> {
  const augmenter = await createAugmenter({ policy: policyOf(config), outSize: config.imageSize, channels: config.channels as 1 | 3, seed: config.seed });
  // a streamed set is read batch by batch; one in memory is handed to the augmenter whole
  const views = "images" in data ? (augmenter.setImages(data.images, data), augmenter) : streamedViews(augmenter, data);
  const learningRate = { base: config.learningRate, warmupSteps: config.warmupSteps, totalSteps: config.totalSteps };
  return new Trainer({ learner, data, views, batchSize: config.batchSize, seed: config.seed, learningRate, position });
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
