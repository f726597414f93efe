// The collapse alarm of BYOL/SimSiam monitoring: how spread out the L2-normalized projections are.
import * as tf from "@tensorflow/tfjs";
import { featureShape, l2Normalize, toTensor, type Features } from "./features";

/**
 * Mean over dimensions of the standard deviation (unbiased, over the batch) of the L2-normalized
 * rows of `z` ([N, d], N ≥ 2). About 1/√d for healthy, spread-out projections; it falls towards 0
 * when the representation collapses to a constant.
 */
export function zStd(z: Features): number {
  const [n] = featureShape(z, "z");
  if (n < 2) throw new Error(`zStd: needs at least 2 rows to measure spread, got ${n}`);
  const value = tf.tidy(() => {
    const { variance } = tf.moments(l2Normalize(toTensor(z, "z")), 0);
    return tf.mean(tf.sqrt(tf.mul(variance, n / (n - 1))));
  });
  const out = value.dataSync()[0];
  value.dispose();
  return out;
}
