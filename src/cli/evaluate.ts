// `byol eval`, and the final evaluation of `byol train`: kNN and linear probe of the online
// encoder's representation, train images as the bank / probe training set, test images scored.
import type { BYOL } from "../byol";
import type { LabelledImageSet } from "../data/types";
import type { Matrix } from "../eval/features";
import { knnAccuracy } from "../eval/knn";
import { linearProbeAccuracy } from "../eval/linear-probe";
import { num, parse, UsageError } from "./args";
import { BACKEND_FLAGS, learnerFromCheckpoint, loadData, say, startBackend } from "./common";
import { normalizationOf } from "../train/setup";

export const EVAL_HELP = `byol eval — kNN and linear-probe accuracy of a checkpoint's online encoder on Fashion-MNIST

  --checkpoint DIR   run directory (or its checkpoint.safetensors)
  --data PATH        folder with the IDX files (default search as in train)
  --limit N          use the first N training and test images only
  --no-linear        kNN only (the probe takes minutes on 60k images)
  --tap NAME         the representation to score: a layer of the encoder (every encoder has its
                     global pool as avgpool) or gridG (the last feature map pooled to G×G);
                     default the run's own
  --backend NAME     auto | wasm | cpu
  --threads N        threads for byol-ts' convolution kernels on wasm (default: the cores, up to 4)
  --json             print one JSON object {"knn": fraction, "linear": fraction}`;

/** What an evaluation found (accuracies are fractions). */
export interface Evaluation {
  knn: number;
  linear?: number;
  linearTrain?: number;
}

/** Embeds `set` with the online encoder (at `tap`, default the training representation). */
async function features(learner: BYOL, set: LabelledImageSet, normalization: { mean: number[]; std: number[] }, tap?: string): Promise<Matrix> {
  const { representation } = await learner.embed(set, { normalization, tap });
  return { data: representation, shape: [set.n, representation.length / set.n] };
}

/** kNN (k 200, cosine, T 0.1) and, unless disabled, the linear probe. */
export async function evaluate(learner: BYOL, train: LabelledImageSet, test: LabelledImageSet, normalization: { mean: number[]; std: number[] }, options: { linear: boolean; seed?: number; tap?: string }): Promise<Evaluation> {
  say(`evaluating: embedding ${train.n} training and ${test.n} test images${options.tap ? ` at tap ${options.tap}` : ""}`);
  const ftrain = await features(learner, train, normalization, options.tap);
  const ftest = await features(learner, test, normalization, options.tap);
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

/** Prints an evaluation for people. */
export function printEvaluation(e: Evaluation): void {
  say(`kNN accuracy (k 200, cosine, T 0.1): ${(100 * e.knn).toFixed(2)}%`);
  if (e.linear !== undefined) say(`linear probe accuracy: ${(100 * e.linear).toFixed(2)}% (train ${(100 * (e.linearTrain ?? 0)).toFixed(2)}%)`);
}

/** Runs `byol eval`; returns the exit code. */
export async function evalCommand(argv: string[]): Promise<number> {
  const v = parse(argv, {
    checkpoint: { type: "string" }, data: { type: "string" }, limit: { type: "string" }, "no-linear": { type: "boolean" }, tap: { type: "string" },
    ...BACKEND_FLAGS, json: { type: "boolean" },
  });
  if (v.help) {
    console.log(EVAL_HELP);
    return 0;
  }
  if (!v.checkpoint) throw new UsageError("--checkpoint DIR is required");
  await startBackend(v);
  const { learner, config } = await learnerFromCheckpoint(v.checkpoint as string);
  const limit = num(v, "limit", { min: 1, integer: true }) ?? 0;
  const { train, test } = await loadData(v.data as string | undefined, limit, limit);
  const e = await evaluate(learner, train, test, normalizationOf(config), { linear: !v["no-linear"], seed: config.seed, tap: v.tap as string | undefined });
  if (v.json) console.log(JSON.stringify(e.linear === undefined ? { knn: e.knn } : { knn: e.knn, linear: e.linear }));
  else printEvaluation(e);
  return 0;
}
