// Similar-image search: representations normalized once into an index, then any number of queries
// ranked by cosine similarity (a dot product of unit vectors), each answered with the keys of the k
// nearest rows.
import { toMatrix, type Features } from "./features";

/** One search result: the row's key, its index, and its cosine similarity to the query. */
export interface SimilarItem<K> {
  key: K;
  index: number;
  similarity: number;
}

/** Options of {@link SimilarityIndex.query}. */
export interface SimilarQueryOptions<K> {
  /** Results wanted (default 10; fewer when the index holds fewer). */
  k?: number;
  /** Rows left out of the results (e.g. the query image itself). */
  exclude?: (key: K, index: number) => boolean;
}

/** Cosine nearest neighbours over a fixed set of representations, each row named by a key. */
export class SimilarityIndex<K = string> {
  private readonly unit: Float32Array;
  readonly size: number;
  readonly dims: number;

  /** Indexes `features` (`[N, F]`, e.g. `BYOL.embed`'s representation), row i named `keys[i]`. */
  constructor(features: Features, readonly keys: readonly K[]) {
    const { data, shape } = toMatrix(features, "features");
    [this.size, this.dims] = shape;
    if (keys.length !== this.size) throw new Error(`SimilarityIndex: ${keys.length} keys for ${this.size} rows`);
    this.unit = normalizedRows(data, this.dims);
  }

  /** The `k` rows most similar to `vector` (F values), most similar first; ties keep row order. */
  query(vector: ArrayLike<number>, options: SimilarQueryOptions<K> = {}): SimilarItem<K>[] {
    const { k = 10, exclude } = options;
    if (vector.length !== this.dims) throw new Error(`SimilarityIndex.query: the query has ${vector.length} values, the index ${this.dims}`);
    if (!(Number.isInteger(k) && k >= 1)) throw new Error(`SimilarityIndex.query: k must be a positive integer, got ${k}`);
    const q = normalizedRows(Float32Array.from(vector), this.dims);
    const best: { index: number; similarity: number }[] = [];
    for (let i = 0; i < this.size; i++) {
      if (exclude?.(this.keys[i], i)) continue;
      let s = 0;
      for (let j = 0, at = i * this.dims; j < this.dims; j++) s += q[j] * this.unit[at + j];
      if (best.length === k && s <= best[k - 1].similarity) continue;
      let at = best.length < k ? best.length : k - 1;
      while (at > 0 && best[at - 1].similarity < s) at--;
      best.splice(at, 0, { index: i, similarity: s });
      if (best.length > k) best.pop();
    }
    return best.map(({ index, similarity }) => ({ key: this.keys[index], index, similarity }));
  }

  /** The `k` rows most similar to row `index`, the row itself left out. */
  neighbours(index: number, k = 10): SimilarItem<K>[] {
    if (!(Number.isInteger(index) && index >= 0 && index < this.size)) throw new Error(`SimilarityIndex.neighbours: row ${index} is outside 0..${this.size - 1}`);
    return this.query(this.unit.subarray(index * this.dims, (index + 1) * this.dims), { k, exclude: (_, i) => i === index });
  }
}

/** Rows scaled to unit length (zero rows stay zero). */
function normalizedRows(data: Float32Array, dims: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let at = 0; at < data.length; at += dims) {
    let ss = 0;
    for (let j = 0; j < dims; j++) ss += data[at + j] * data[at + j];
    const scale = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < dims; j++) out[at + j] = data[at + j] * scale;
  }
  return out;
}
