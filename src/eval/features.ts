// Feature matrices as the evaluation functions take them: tfjs tensors or plain row-major arrays,
// validated once here so every evaluator reports bad input the same way.
import * as tf from "../tf";

/** A row-major float matrix: `shape = [rows, cols]`, `data.length = rows × cols`. */
export interface Matrix {
  data: Float32Array;
  shape: [number, number];
}

/** Features of N samples: a `[N, F]` tensor or a {@link Matrix}. */
export type Features = tf.Tensor2D | Matrix;

/** Integer class labels, one per sample. */
export type Labels = ArrayLike<number>;

/** `[rows, cols]` of `features`, validating that it is a 2-D float matrix whose data fits its shape. */
export function featureShape(features: Features, name: string): [number, number] {
  if (features instanceof tf.Tensor) {
    if (features.rank !== 2) throw new Error(`${name}: expected a 2-D [N, F] tensor, got shape [${features.shape}]`);
    return [features.shape[0], features.shape[1]];
  }
  const { data, shape } = features ?? ({} as Matrix);
  if (!(data instanceof Float32Array) || !Array.isArray(shape) || shape.length !== 2) {
    throw new Error(`${name}: expected a [N, F] tensor or { data: Float32Array, shape: [N, F] }`);
  }
  if (data.length !== shape[0] * shape[1]) throw new Error(`${name}: ${data.length} values do not fill shape [${shape}]`);
  return [shape[0], shape[1]];
}

/** Throws an error naming the first non-finite entry's row and column, if any. */
function checkFinite(values: Float32Array, cols: number, name: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${name}: row ${Math.floor(i / cols)} column ${i % cols} is ${values[i]}`);
  }
}

/**
 * Validates `features` (2-D, data fills the shape, every value finite) and returns `[rows, cols]`.
 * Errors name `name` and the first bad entry's row and column.
 */
export function validateFeatures(features: Features, name: string): [number, number] {
  const shape = featureShape(features, name);
  if (!(features instanceof tf.Tensor)) checkFinite(features.data, shape[1], name);
  else if (tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(features))).dataSync()[0])) checkFinite(features.dataSync() as Float32Array, shape[1], name);
  return shape;
}

/** The features as a validated {@link Matrix} (a tensor is read back once). */
export function toMatrix(features: Features, name: string): Matrix {
  const shape = validateFeatures(features, name);
  const data = features instanceof tf.Tensor ? Float32Array.from(features.dataSync()) : features.data;
  return { data, shape };
}

/**
 * The validated features as a float32 tensor; a float32 tensor is returned as is (not a copy), so
 * call this inside `tf.tidy` and never dispose the result yourself.
 */
export function toTensor(features: Features, name: string): tf.Tensor2D {
  const shape = validateFeatures(features, name);
  if (!(features instanceof tf.Tensor)) return tf.tensor2d(features.data, shape, "float32");
  return features.dtype === "float32" ? features : tf.cast(features, "float32");
}

/**
 * Labels as an Int32Array, validated: one per sample, integers in `0..numClasses-1` (when
 * `numClasses` is given).
 */
export function checkLabels(labels: Labels, rows: number, name: string, numClasses?: number): Int32Array {
  if (labels == null || labels.length !== rows) throw new Error(`${name}: expected ${rows} labels (one per sample), got ${labels?.length}`);
  const out = Int32Array.from(labels);
  for (let i = 0; i < rows; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || (numClasses !== undefined && l >= numClasses)) {
      throw new Error(`${name}: label ${l} at index ${i} is not a class index${numClasses !== undefined ? ` in 0..${numClasses - 1}` : ""}`);
    }
  }
  return out;
}

/** The class count: `given` when set (checked ≥ 1), else one more than the largest label. */
export function classCount(given: number | undefined, ...labelSets: Int32Array[]): number {
  if (given !== undefined) {
    if (!Number.isInteger(given) || given < 1) throw new Error(`numClasses must be a positive integer, got ${given}`);
    return given;
  }
  let max = 0;
  for (const set of labelSets) for (const l of set) max = Math.max(max, l);
  return max + 1;
}

export { l2Normalize } from "../loss";

/** Rows per chunk so that a `[chunk, width]` float32 intermediate stays near `budget` elements. */
export function rowsPerChunk(width: number, budget = 1 << 24): number {
  return Math.max(1, Math.floor(budget / Math.max(1, width)));
}

/** Rows `[start, end)` of validated features as a float32 tensor (call inside `tf.tidy`). */
export function rowSlice(features: Features, start: number, end: number, cols: number): tf.Tensor2D {
  if (features instanceof tf.Tensor) return tf.cast(tf.slice(features, [start, 0], [end - start, cols]), "float32");
  return tf.tensor2d(features.data.subarray(start * cols, end * cols), [end - start, cols], "float32");
}

/** A new matrix holding copies of the rows at `indices`. */
export function gatherRows({ data, shape: [, cols] }: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float32Array(indices.length * cols);
  for (let i = 0; i < indices.length; i++) out.set(data.subarray(indices[i] * cols, (indices[i] + 1) * cols), i * cols);
  return { data: out, shape: [indices.length, cols] };
}
