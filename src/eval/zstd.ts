// The collapse alarm of BYOL/SimSiam monitoring: how spread out the L2-normalized projections are.
import * as tf from "../tf";
import { featureShape, l2Normalize, toTensor, type Features } from "./features";

/**
 * Mean over dimensions of the standard deviation (unbiased, over the batch) of the L2-normalized
 * rows of `z` ([N, d], N ≥ 2). About 1/√d for healthy, spread-out projections; it falls towards 0
 * when the representation collapses to a constant.
 */
export function zStd(z: Features): number {
  const [n] = featureShape(z, "z");
  if (n < 2) throw new Error(`zStd: needs at least 2 rows to measure spread, got ${n}`);
  const value = tf.tidy(() => zStdOfNormalized(l2Normalize(toTensor(z, "z"))));
  const out = value.dataSync()[0];
  value.dispose();
  return out;
}

/** {@link zStd} of rows already L2-normalized, as a scalar on the backend (the training step's monitor). */
export function zStdOfNormalized(normalized: tf.Tensor2D): tf.Scalar {
  const n = normalized.shape[0];
  return tf.tidy(() => tf.mean(tf.sqrt(tf.mul(tf.moments(normalized, 0).variance, n / Math.max(n - 1, 1)))));
}
