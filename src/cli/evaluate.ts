// `byol eval`, and the final evaluation of `byol train`: with labels, kNN and linear probe of the
// online encoder's representation (the bank / probe training images against the images scored);
// without, how spread out it is — z-std, effective rank — and a few nearest neighbours to look at.
import { dirname } from "node:path";
import type { Learner } from "../learner";
import type { AnyImageSet, LabelledAnyImageSet } from "../data/any-images";
import { heldOutSplit } from "../data/batches";
import { effectiveRank } from "../eval/effective-rank";
import type { Matrix } from "../eval/features";
import { knnAccuracy } from "../eval/knn";
import { linearProbeAccuracy } from "../eval/linear-probe";
import { SimilarityIndex } from "../eval/similarity-index";
import { zStd } from "../eval/zstd";
import { num, parse, UsageError } from "./args";
import { BACKEND_FLAGS, backendFlags, say, startBackend } from "./common";
import { learnerFromCheckpoint } from "../train/checkpoint-file";
import { EMBED_CACHE_FLAG, loadRunData, memoryBytesOf, type RunData } from "./data";
import { helpText, type FlagTable } from "./flags";
import { normalizationOf } from "../train/setup";

/** `byol eval`'s flags. */
export const EVAL_FLAGS = {
  checkpoint: { type: "string", value: "DIR", help: "run directory (or its checkpoint.safetensors)" },
  data: { type: "string", value: "PATH", default: "the run's own data", help: "IDX files or a folder of images" },
  limit: { type: "string", value: "N", help: "IDX: the first N training and test images; a folder: a seeded sample of N files" },
  ...EMBED_CACHE_FLAG,
  "no-linear": { type: "boolean", help: "kNN only (the probe takes minutes on 60k images)" },
  tap: { type: "string", value: "NAME", default: "the run's representation", help: "the representation to score: a layer of the encoder (every encoder has its global pool as avgpool) or gridG (the last feature map pooled to G×G)" },
  ...BACKEND_FLAGS,
  json: { type: "boolean", help: 'print one JSON object: {"knn", "linear"} (fractions), or {"zStd", "effectiveRank"} for unlabelled images' },
} as const satisfies FlagTable;

export const EVAL_HELP = helpText(
  "byol eval — score a checkpoint's online encoder: kNN and linear-probe accuracy with labels\n(Fashion-MNIST's test file, or a seeded 20% of a class-folder tree), else z-std and effective rank",
  EVAL_FLAGS,
);

/** What an evaluation found: accuracies (fractions) with labels, spread without. */
export type Evaluation = { knn: number; linear?: number; linearTrain?: number } | { zStd: number; effectiveRank: number };

type Normalization = { mean: number[]; std: number[] };

// Images whose nearest neighbours an unlabelled evaluation shows.
const NEIGHBOUR_SAMPLE = 3;

/** Embeds `set` with the online encoder (at `tap`, default the training representation). */
async function features(learner: Learner, set: AnyImageSet, normalization: Normalization, tap?: string, projection = false): Promise<{ y: Matrix; z?: Matrix }> {
  const { representation, projection: z } = await learner.embed(set, { normalization, tap, projection });
  return {
    y: { data: representation, shape: [set.n, representation.length / set.n] },
    z: z && { data: z, shape: [set.n, z.length / set.n] },
  };
}

/** kNN (k 200, cosine, T 0.1) and, unless disabled, the linear probe. */
async function scoreLabelled(learner: Learner, train: LabelledAnyImageSet, test: LabelledAnyImageSet, normalization: Normalization, options: { linear: boolean; seed?: number; tap?: string }): Promise<Evaluation> {
  say(`evaluating: embedding ${train.n} bank and ${test.n} test images${options.tap ? ` at tap ${options.tap}` : ""}`);
  const ftrain = (await features(learner, train, normalization, options.tap)).y;
  const ftest = (await features(learner, test, normalization, options.tap)).y;
  const numClasses = Math.max(train.classes.length, 1 + Math.max(...train.labels));
  const result: Evaluation = { knn: knnAccuracy(ftrain, train.labels, ftest, test.labels, { k: 200, temperature: 0.1, numClasses }) };
  if (options.linear) {
    say("evaluating: linear probe (logistic regression on standardized features)");
    const probe = linearProbeAccuracy(ftrain, train.labels, ftest, test.labels, { numClasses, seed: options.seed });
    result.linear = probe.accuracy;
    result.linearTrain = probe.trainAccuracy;
  }
  return result;
}

/** z-std of the projections, effective rank of the representation, and a few images' nearest neighbours (on stderr). */
async function scoreUnlabelled(learner: Learner, data: RunData, normalization: Normalization, options: { seed?: number; tap?: string }): Promise<Evaluation> {
  const set = data.train;
  if (set.n < 2) throw new Error(`an unlabelled evaluation needs at least 2 images, got ${set.n}`);
  say(`evaluating: embedding ${set.n} unlabelled images${options.tap ? ` at tap ${options.tap}` : ""}`);
  const { y, z } = await features(learner, set, normalization, options.tap, true);
  const keys = data.files ?? Array.from({ length: set.n }, (_, i) => `image ${i}`);
  const index = new SimilarityIndex(y, keys);
  for (const i of heldOutSplit(set.n, Math.min(NEIGHBOUR_SAMPLE, set.n), options.seed ?? 0).heldOut) {
    const [nearest] = index.neighbours(i, 1);
    say(`nearest neighbour of ${keys[i]}: ${nearest.key} (cosine ${nearest.similarity.toFixed(3)})`);
  }
  return { zStd: zStd(z!), effectiveRank: effectiveRank(y) };
}

/** Scores the learner on `data`: labelled when the data has labels, else unlabelled. */
export async function evaluate(learner: Learner, data: RunData, normalization: Normalization, options: { linear: boolean; seed?: number; tap?: string }): Promise<Evaluation> {
  return data.split
    ? scoreLabelled(learner, data.split.train, data.split.test, normalization, options)
    : scoreUnlabelled(learner, data, normalization, options);
}

/** Prints an evaluation for people. */
export function printEvaluation(e: Evaluation): void {
  if ("zStd" in e) {
    say(`z-std: ${e.zStd.toFixed(4)}; effective rank of the representation: ${e.effectiveRank.toFixed(2)}`);
    return;
  }
  say(`kNN accuracy (k 200, cosine, T 0.1): ${(100 * e.knn).toFixed(2)}%`);
  if (e.linear !== undefined) say(`linear probe accuracy: ${(100 * e.linear).toFixed(2)}% (train ${(100 * (e.linearTrain ?? 0)).toFixed(2)}%)`);
}

/** The JSON `byol eval --json` prints. */
function jsonOf(e: Evaluation): Record<string, number> {
  if ("zStd" in e) return { zStd: e.zStd, effectiveRank: e.effectiveRank };
  return e.linear === undefined ? { knn: e.knn } : { knn: e.knn, linear: e.linear };
}

/** Runs `byol eval`; returns the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  const v = parse(argv, EVAL_FLAGS);
  if (v.help) {
    console.log(EVAL_HELP);
    return 0;
  }
  if (!v.checkpoint) throw new UsageError("--checkpoint DIR is required");
  const limit = num(v, "limit", { min: 1, integer: true }) ?? 0;
  const memoryBytes = memoryBytesOf(v);
  await startBackend(backendFlags(v));
  const { learner, config, path } = await learnerFromCheckpoint(v.checkpoint as string);
  const data = await loadRunData(config, { path: v.data as string | undefined, limit, testLimit: limit, size: config.imageSize, channels: config.channels as 1 | 3, runDir: dirname(path), memoryBytes, evaluateWhole: true });
  const e = await evaluate(learner, data, normalizationOf(config), { linear: !v["no-linear"], seed: config.seed, tap: v.tap as string | undefined });
  if (v.json) console.log(JSON.stringify(jsonOf(e)));
  else printEvaluation(e);
  return 0;
}
