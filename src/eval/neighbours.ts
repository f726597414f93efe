// The nearest neighbours of every row among the others by cosine similarity (the "similar images"
// of the embedding viewer), a chunk of rows at a time so memory stays bounded.
import * as tf from "../tf";
import { chunks } from "../data/batches";
import { l2Normalize, rowSlice, rowsPerChunk, toTensor, validateFeatures, type Features } from "./features";

/**
 * The `k` rows most cosine-similar to each row, itself excluded, most similar first: an `[N, k]`
 * row-major table of row indices.
 */
export function nearestNeighbours(features: Features, k: number): Int32Array {
  const [n, f] = validateFeatures(features, "features");
  if (!Number.isInteger(k) || k < 1 || k >= n) throw new Error(`nearestNeighbours: k must be an integer in 1..${n - 1} (N − 1), got ${k}`);
  // kept transposed ([F, N]): tfjs-wasm multiplies far faster without transposeB
  const allT = tf.tidy(() => tf.transpose(l2Normalize(toTensor(features, "features"))));
  const out = new Int32Array(n * k);
  try {
    for (const [start, end] of chunks(n, rowsPerChunk(n))) {
      const top = tf.tidy(() => tf.topk(tf.matMul(l2Normalize(rowSlice(features, start, end, f)), allT), k + 1).indices);
      const indices = top.dataSync();
      top.dispose();
      // drop the row itself; a duplicate row may outrank it, then the (k+1)-th is dropped instead
      for (let r = 0; r < end - start; r++) {
        let w = 0;
        for (let j = 0; j <= k && w < k; j++) {
          const c = indices[r * (k + 1) + j];
          if (c !== start + r) out[(start + r) * k + w++] = c;
        }
      }
    }
  } finally {
    allT.dispose();
  }
  return out;
}
