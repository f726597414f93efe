// The kNN monitor (Wu et al. 2018, as used to track SSL training): cosine similarity to a bank of
// labelled train features, the k most similar vote for their class with weight exp(sim / T).
import * as tf from "../tf";
import { chunks } from "../data/batches";
import { checkLabels, classCount, featureShape, l2Normalize, rowSlice, rowsPerChunk, toTensor, validateFeatures, type Features, type Labels } from "./features";

/** Options of {@link knnPredict} and {@link knnAccuracy}. */
export interface KnnOptions {
  /** Neighbours that vote (default 200; at most the bank size). */
  k?: number;
  /** Temperature T of the vote weights exp(sim / T) (default 0.1). */
  temperature?: number;
  /** Number of classes (default: one more than the largest label). */
  numClasses?: number;
  /** Test rows per step (default: so that a step's similarities and votes hold about 16M values each). */
  chunkSize?: number;
}

/**
 * Predicts a class for every test row: cosine similarity to every train row (the bank), the `k`
 * most similar vote with weights exp(sim / T), the heaviest class wins (the lowest class index
 * on a tie). Works on any tfjs backend; memory stays bounded by processing test rows in chunks.
 */
export function knnPredict(trainFeatures: Features, trainLabels: Labels, testFeatures: Features, options: KnnOptions = {}): Int32Array {
  const [n, f] = validateFeatures(trainFeatures, "trainFeatures");
  const [m, g] = validateFeatures(testFeatures, "testFeatures");
  if (f !== g) throw new Error(`knn: trainFeatures have ${f} columns, testFeatures ${g}`);
  if (n === 0) throw new Error("knn: the bank (trainFeatures) is empty");
  const labels = checkLabels(trainLabels, n, "trainLabels", options.numClasses);
  const numClasses = classCount(options.numClasses, labels);
  const k = Math.min(options.k ?? 200, n);
  const temperature = options.temperature ?? 0.1;
  if (!Number.isInteger(k) || k < 1) throw new Error(`knn: k must be a positive integer, got ${options.k}`);
  if (!(temperature > 0)) throw new Error(`knn: temperature must be > 0, got ${temperature}`);
  // Bounded by both per-chunk intermediates: similarities [chunk, N] and one-hot votes [chunk, k, C].
  const chunkSize = options.chunkSize ?? Math.min(rowsPerChunk(n), rowsPerChunk(k * numClasses));

  // The bank is kept transposed ([F, N]): tfjs-wasm multiplies far faster without transposeB.
  const bankT = tf.tidy(() => tf.transpose(l2Normalize(toTensor(trainFeatures, "trainFeatures"))));
  const bankLabels = tf.tensor1d(labels, "int32");
  const out = new Int32Array(m);
  try {
    for (const [start, end] of chunks(m, chunkSize)) {
      const winners = tf.tidy(() => {
        const sims = tf.matMul(l2Normalize(rowSlice(testFeatures, start, end, f)), bankT);
        const top = tf.topk(sims, k);
        // Shifting by the row's best similarity keeps exp() finite at small T without changing the vote.
        const weights = tf.exp(tf.div(tf.sub(top.values, tf.slice(top.values, [0, 0], [-1, 1])), temperature));
        const votes = tf.sum(tf.mul(tf.oneHot(tf.gather(bankLabels, top.indices), numClasses), tf.expandDims(weights, 2)), 1);
        return tf.argMax(votes, 1);
      });
      out.set(winners.dataSync(), start);
      winners.dispose();
    }
  } finally {
    tf.dispose([bankT, bankLabels]);
  }
  return out;
}

/** Fraction of `predicted` equal to `labels`. */
export function accuracy(predicted: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predicted.length !== labels.length) throw new Error(`accuracy: ${predicted.length} predictions for ${labels.length} labels`);
  let hits = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) hits++;
  return labels.length ? hits / labels.length : 0;
}

/**
 * kNN accuracy (a fraction in [0, 1]) of the test set against the train set as the bank: cosine
 * similarity, k = 200, weights exp(sim / 0.1) by default. See {@link knnPredict}.
 */
export function knnAccuracy(
  trainFeatures: Features, trainLabels: Labels, testFeatures: Features, testLabels: Labels, options: KnnOptions = {},
): number {
  const [m] = featureShape(testFeatures, "testFeatures");
  const truth = checkLabels(testLabels, m, "testLabels", options.numClasses);
  return accuracy(knnPredict(trainFeatures, trainLabels, testFeatures, options), truth);
}
