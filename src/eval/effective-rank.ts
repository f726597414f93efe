// Effective rank (Roy & Vetterli 2007; RankMe, Garrido et al. 2023): how many directions a
// representation really uses — exp of the entropy of its normalized singular values. Near the
// dimension for a representation spread over all of it, near 1 when it has collapsed to a line.
import * as tf from "../tf";
import { chunks } from "../data/batches";
import { rowsPerChunk, toMatrix, type Features } from "./features";
import { symmetricEigenvalues } from "./sym-eigenvalues";

/** The Gram matrix of the smaller side of `[N, F]` data (XᵀX or XXᵀ), in float64: its eigenvalues are the squared singular values. */
function smallGram(data: Float32Array, n: number, f: number): { gram: Float64Array; size: number } {
  const size = Math.min(n, f);
  let acc: tf.Tensor = tf.zeros([size, size]);
  // XᵀX accumulates over row chunks; XXᵀ (fewer rows than columns) is one product
  for (const [start, end] of f <= n ? chunks(n, rowsPerChunk(f, 1 << 22)) : [[0, n] as [number, number]]) {
    const next = tf.tidy(() => {
      const x = tf.tensor2d(data.subarray(start * f, end * f), [end - start, f]);
      return tf.add(acc, f <= n ? tf.matMul(x, x, true, false) : tf.matMul(x, x, false, true));
    });
    acc.dispose();
    acc = next;
  }
  const gram = Float64Array.from(acc.dataSync());
  acc.dispose();
  return { gram, size };
}

/**
 * exp(−Σ pᵢ log pᵢ) with pᵢ = σᵢ / Σσ, the singular values σ of the `[N, F]` features (not
 * centred, as RankMe). Between 1 and min(N, F); 0 for all-zero features.
 */
export function effectiveRank(features: Features): number {
  const { data, shape: [n, f] } = toMatrix(features, "features");
  const { gram, size } = smallGram(data, n, f);
  const sigma = Array.from(symmetricEigenvalues(gram, size), (l) => Math.sqrt(Math.max(l, 0)));
  const total = sigma.reduce((s, x) => s + x, 0);
  if (!(total > 0)) return 0;
  let entropy = 0;
  for (const s of sigma) if (s > 0) entropy -= (s / total) * Math.log(s / total);
  return Math.exp(entropy);
}
