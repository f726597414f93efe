// Linear probe: multinomial logistic regression on frozen, standardized features. The objective is
// convex, so it is minimized full-batch with L-BFGS from zero weights: no randomness, no learning
// rate to tune, and the same answer on every run. tfjs computes loss and gradient over row chunks
// (any backend, bounded memory); the L-BFGS bookkeeping on the few F×C weights is plain float64.
import * as tf from "../tf";
import { chunks, heldOutSplit } from "../data/batches";
import { accuracy } from "./knn";
import { checkLabels, classCount, featureShape, gatherRows, rowsPerChunk, toMatrix, type Features, type Labels, type Matrix } from "./features";

/** Options of {@link fitLinearProbe}. */
export interface LinearProbeOptions {
  /** Number of classes (default: one more than the largest label). */
  numClasses?: number;
  /**
   * L2 penalty λ on the weights (not the bias): loss = mean cross-entropy + λ/2·‖W‖² (default
   * 1e-4). A list of candidates is searched: each is fitted on the training rows minus a seeded
   * validation split, the best validation accuracy wins (the larger λ on a tie), and the probe is
   * refitted on all rows with it.
   */
  l2?: number | number[];
  /** Fraction of the training rows held out to choose among several `l2` (default 0.1). */
  validation?: number;
  /** Seed of that validation split (default 0). */
  seed?: number;
  /** Iteration cap (default 500). */
  maxIterations?: number;
  /** Stop once the relative loss improvement stays below this for 3 iterations in a row (default 1e-6). */
  tolerance?: number;
  /** L-BFGS history length (default 10). */
  memory?: number;
  /** Rows per tfjs step (default: about 4M feature values per chunk). */
  chunkSize?: number;
}

/** Why fitting stopped. `line search` means no further decrease was measurable in float32. */
export type LinearProbeStop = "converged" | "gradient" | "line search" | "max iterations";

/** A fitted probe: standardization and weights, enough to classify new features. */
export interface LinearProbe {
  /** Weights `[F, C]`, row-major, acting on standardized features. */
  weights: Float32Array;
  bias: Float32Array;
  /** Per-feature mean and standard deviation of the training features (std 1 where constant). */
  mean: Float32Array;
  std: Float32Array;
  numClasses: number;
  /** The L2 penalty used. */
  l2: number;
  /** Validation accuracy of every candidate when `l2` was a list. */
  l2Search?: { l2: number; validationAccuracy: number }[];
  /** Final training objective (mean cross-entropy + L2 term). */
  loss: number;
  iterations: number;
  stopReason: LinearProbeStop;
}

const ARMIJO = 1e-4;
const MAX_HALVINGS = 30;
// One small step can be a lull; three in a row mean the loss has flattened.
const PATIENCE = 3;

/** Mean and population standard deviation of every column, in float64. */
function columnStats({ data, shape: [n, f] }: Matrix): { mean: Float32Array; std: Float32Array } {
  const sum = new Float64Array(f);
  const sq = new Float64Array(f);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < f; j++) {
      const v = data[i * f + j];
      sum[j] += v;
      sq[j] += v * v;
    }
  }
  const mean = new Float32Array(f);
  const std = new Float32Array(f);
  for (let j = 0; j < f; j++) {
    const m = sum[j] / Math.max(n, 1);
    const sd = Math.sqrt(Math.max(sq[j] / Math.max(n, 1) - m * m, 0));
    mean[j] = m;
    std[j] = sd > 1e-6 * Math.max(1, Math.abs(m)) ? sd : 1;
  }
  return { mean, std };
}

/** Standardized rows `[start, end)` as a tensor. */
function standardized(x: Matrix, start: number, end: number, mean: Float32Array, std: Float32Array): tf.Tensor2D {
  const f = x.shape[1];
  const out = x.data.slice(start * f, end * f);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] - mean[i % f]) / std[i % f];
  return tf.tensor2d(out, [end - start, f]);
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Loss and gradient of the objective at parameters `w` = [W (F×C, row-major), b (C)]. */
function objective(xs: tf.Tensor2D[], ys: tf.Tensor2D[], n: number, f: number, c: number, l2: number) {
  return (w: Float64Array): { loss: number; grad: Float64Array } => {
    const W = tf.tensor2d(Float32Array.from(w.subarray(0, f * c)), [f, c]);
    const b = tf.tensor1d(Float32Array.from(w.subarray(f * c)));
    let total: tf.Tensor[] = [tf.scalar(0), tf.zeros([c, f]), tf.zeros([c])];
    xs.forEach((x, i) => {
      const next = tf.tidy(() => {
        const logp = tf.logSoftmax(tf.add(tf.matMul(x, W), b));
        const g = tf.sub(tf.exp(logp), ys[i]);
        // G^T X with G^T materialized: tfjs-wasm's fast path takes no transpose flags.
        const parts = [tf.neg(tf.sum(tf.mul(logp, ys[i]))), tf.matMul(tf.transpose(g), x), tf.sum(g, 0)];
        return parts.map((p, k) => tf.add(total[k], p));
      });
      tf.dispose(total);
      total = next;
    });
    const [lossSum, gW, gb] = total.map((t) => t.dataSync());
    tf.dispose([...total, W, b]);
    const grad = new Float64Array(w.length);
    let penalty = 0;
    for (let j = 0; j < f; j++) {
      for (let k = 0; k < c; k++) {
        const wi = w[j * c + k];
        penalty += wi * wi;
        grad[j * c + k] = gW[k * f + j] / n + l2 * wi;
      }
    }
    for (let k = 0; k < c; k++) grad[f * c + k] = gb[k] / n;
    return { loss: lossSum[0] / n + 0.5 * l2 * penalty, grad };
  };
}

/** L-BFGS two-loop recursion: the search direction −H·g from the stored (s, y) pairs. */
function direction(grad: Float64Array, pairs: { s: Float64Array; y: Float64Array; rho: number }[]): Float64Array {
  const q = grad.slice();
  const alpha = new Float64Array(pairs.length);
  for (let i = pairs.length - 1; i >= 0; i--) {
    alpha[i] = pairs[i].rho * dot(pairs[i].s, q);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[i] * pairs[i].y[j];
  }
  const last = pairs[pairs.length - 1];
  // Initial inverse Hessian γI; without history, a unit-length first step.
  const gamma = last ? dot(last.s, last.y) / dot(last.y, last.y) : 1 / Math.max(Math.sqrt(dot(grad, grad)), 1e-12);
  for (let j = 0; j < q.length; j++) q[j] *= gamma;
  for (let i = 0; i < pairs.length; i++) {
    const beta = pairs[i].rho * dot(pairs[i].y, q);
    for (let j = 0; j < q.length; j++) q[j] += (alpha[i] - beta) * pairs[i].s[j];
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j];
  return q;
}

/** One L-BFGS fit at a fixed λ on validated data. */
function fitMatrix(x: Matrix, y: Int32Array, c: number, l2: number, options: LinearProbeOptions): LinearProbe {
  const [n, f] = x.shape;
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.tolerance ?? 1e-6;
  const memory = options.memory ?? 10;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 0)) throw new Error(`linear probe: maxIterations must be an integer ≥ 0, got ${maxIterations}`);
  const { mean, std } = columnStats(x);

  const xs: tf.Tensor2D[] = [];
  const ys: tf.Tensor2D[] = [];
  try {
    for (const [start, end] of chunks(n, options.chunkSize ?? rowsPerChunk(f, 1 << 22))) {
      xs.push(standardized(x, start, end, mean, std));
      ys.push(tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(y.subarray(start, end), "int32"), c), "float32") as tf.Tensor2D));
    }
    const evaluate = objective(xs, ys, n, f, c, l2);
    let w = new Float64Array(f * c + c);
    let { loss, grad } = evaluate(w);
    const pairs: { s: Float64Array; y: Float64Array; rho: number }[] = [];
    let iterations = 0;
    let flat = 0;
    let stopReason: LinearProbeStop = "max iterations";
    while (iterations < maxIterations) {
      if (grad.every((v) => Math.abs(v) < 1e-7)) {
        stopReason = "gradient";
        break;
      }
      let d = direction(grad, pairs);
      let slope = dot(grad, d);
      if (!(slope < 0)) {
        // Stale curvature pairs gave an uphill direction: restart from steepest descent.
        pairs.length = 0;
        d = direction(grad, pairs);
        slope = dot(grad, d);
      }
      let t = 1;
      let trial = null as ReturnType<typeof evaluate> | null;
      let next = w;
      for (let h = 0; h < MAX_HALVINGS; h++, t /= 2) {
        next = w.map((v, j) => v + t * d[j]);
        const r = evaluate(next);
        if (r.loss <= loss + ARMIJO * t * slope) {
          trial = r;
          break;
        }
      }
      if (!trial) {
        stopReason = "line search";
        break;
      }
      iterations++;
      const s = next.map((v, j) => v - w[j]);
      const yv = trial.grad.map((v, j) => v - grad[j]);
      const sy = dot(s, yv);
      if (sy > 1e-12 * dot(yv, yv)) {
        pairs.push({ s, y: yv, rho: 1 / sy });
        if (pairs.length > memory) pairs.shift();
      }
      const improvement = (loss - trial.loss) / Math.max(Math.abs(loss), Math.abs(trial.loss), 1);
      w = next;
      ({ loss, grad } = trial);
      flat = improvement < tolerance ? flat + 1 : 0;
      if (flat >= PATIENCE) {
        stopReason = "converged";
        break;
      }
    }
    return { weights: Float32Array.from(w.subarray(0, f * c)), bias: Float32Array.from(w.subarray(f * c)), mean, std, numClasses: c, l2, loss, iterations, stopReason };
  } finally {
    tf.dispose([...xs, ...ys]);
  }
}

/**
 * Fits multinomial logistic regression to `labels` on standardized `features` (train mean and
 * std), with full-batch L-BFGS from zero weights until the loss stops improving; with a list of
 * `l2` candidates, chooses λ on a seeded validation split first. Deterministic.
 */
export function fitLinearProbe(features: Features, labels: Labels, options: LinearProbeOptions = {}): LinearProbe {
  const x = toMatrix(features, "trainFeatures");
  const n = x.shape[0];
  if (n === 0) throw new Error("linear probe: no training rows");
  const y = checkLabels(labels, n, "trainLabels", options.numClasses);
  const c = classCount(options.numClasses, y);
  const candidates = Array.isArray(options.l2) ? options.l2 : [options.l2 ?? 1e-4];
  if (candidates.length === 0) throw new Error("linear probe: l2 is an empty list");
  for (const l2 of candidates) if (!(l2 >= 0)) throw new Error(`linear probe: l2 must be ≥ 0, got ${l2}`);
  if (candidates.length === 1) return fitMatrix(x, y, c, candidates[0], options);

  const fraction = options.validation ?? 0.1;
  const held = Math.round(n * fraction);
  if (!(fraction > 0 && fraction < 1) || held < 1 || held >= n) {
    throw new Error(`linear probe: validation ${fraction} of ${n} rows leaves no rows to fit or to validate λ on`);
  }
  const split = heldOutSplit(n, held, options.seed ?? 0);
  const [xFit, xVal] = [gatherRows(x, split.train), gatherRows(x, split.heldOut)];
  const [yFit, yVal] = [Int32Array.from(split.train, (i) => y[i]), Int32Array.from(split.heldOut, (i) => y[i])];
  const l2Search = candidates.map((l2) => ({ l2, validationAccuracy: accuracy(predictMatrix(fitMatrix(xFit, yFit, c, l2, options), xVal), yVal) }));
  const best = l2Search.reduce((a, b) => (b.validationAccuracy > a.validationAccuracy || (b.validationAccuracy === a.validationAccuracy && b.l2 > a.l2) ? b : a));
  return { ...fitMatrix(x, y, c, best.l2, options), l2Search };
}

/** Class predictions of a fitted probe for new features (standardized with the probe's train statistics). */
export function predictLinearProbe(probe: LinearProbe, features: Features): Int32Array {
  return predictMatrix(probe, toMatrix(features, "features"));
}

function predictMatrix(probe: LinearProbe, x: Matrix): Int32Array {
  const [n, f] = x.shape;
  if (f !== probe.mean.length) throw new Error(`linear probe: fitted on ${probe.mean.length} features, got ${f}`);
  const out = new Int32Array(n);
  const W = tf.tensor2d(probe.weights, [f, probe.numClasses]);
  const b = tf.tensor1d(probe.bias);
  try {
    for (const [start, end] of chunks(n, rowsPerChunk(f, 1 << 22))) {
      const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(standardized(x, start, end, probe.mean, probe.std), W), b), 1));
      out.set(pred.dataSync(), start);
      pred.dispose();
    }
  } finally {
    tf.dispose([W, b]);
  }
  return out;
}

/** Result of {@link linearProbeAccuracy}. */
export interface LinearProbeResult {
  /** Test accuracy, a fraction in [0, 1]. */
  accuracy: number;
  trainAccuracy: number;
  probe: LinearProbe;
}

/** Fits a probe on the train features and reports test (and train) accuracy. See {@link fitLinearProbe}. */
export function linearProbeAccuracy(
  trainFeatures: Features, trainLabels: Labels, testFeatures: Features, testLabels: Labels, options: LinearProbeOptions = {},
): LinearProbeResult {
  const probe = fitLinearProbe(trainFeatures, trainLabels, options);
  const testTruth = checkLabels(testLabels, featureShape(testFeatures, "testFeatures")[0], "testLabels");
  return {
    accuracy: accuracy(predictLinearProbe(probe, testFeatures), testTruth),
    trainAccuracy: accuracy(predictLinearProbe(probe, trainFeatures), Int32Array.from(trainLabels)),
    probe,
  };
}
