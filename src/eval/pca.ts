// PCA to a few dimensions (the 3-D view of a representation). The covariance is accumulated with
// tfjs over row chunks; its top eigenvectors come from subspace iteration with a Rayleigh–Ritz
// step, in float64 — cheap for F up to a few thousand since only k + a few vectors are iterated.
import * as tf from "../tf";
import { chunks } from "../data/batches";
import { deriveSeed, normalArray, uniformGenerator } from "../util/random";
import { rowsPerChunk, toMatrix, type Features, type Matrix } from "./features";

/** Options of {@link pca}. */
export interface PcaOptions {
  /** Seed of the starting subspace (the result does not depend on it beyond rounding). */
  seed?: number;
  /** Iteration cap of the subspace iteration (default 1000). */
  maxIterations?: number;
  /** Convergence threshold on the change of each leading direction (default 1e-10). */
  tolerance?: number;
}

/** A fitted PCA and the projected data. */
export interface PcaResult {
  /** The data projected on the components: `[N, k]`. */
  projected: Matrix;
  /** Principal axes `[k, F]`, unit length, by decreasing variance; each one's largest entry is positive. */
  components: Matrix;
  mean: Float32Array;
  /** Variance along each component (eigenvalues of the covariance, N − 1 denominator). */
  explainedVariance: Float64Array;
  /** Share of the total variance along each component. */
  explainedVarianceRatio: Float64Array;
}

// Extra directions iterated beyond k: convergence goes as (λ_{p+1}/λ_k)^iterations.
const OVERSAMPLE = 10;

/** Covariance `[F, F]` (float64) and column means of `x`. */
function covariance(x: Matrix): { cov: Float64Array; mean: Float32Array } {
  const [n, f] = x.shape;
  const mean = new Float32Array(f);
  const sums = new Float64Array(f);
  for (let i = 0; i < x.data.length; i++) sums[i % f] += x.data[i];
  for (let j = 0; j < f; j++) mean[j] = sums[j] / n;
  const meanT = tf.tensor1d(mean);
  let acc: tf.Tensor = tf.zeros([f, f]);
  for (const [start, end] of chunks(n, rowsPerChunk(f, 1 << 22))) {
    const next = tf.tidy(() => {
      const c = tf.sub(tf.tensor2d(x.data.subarray(start * f, end * f), [end - start, f]), meanT);
      return tf.add(acc, tf.matMul(tf.transpose(c), c));
    });
    acc.dispose();
    acc = next;
  }
  const cov = Float64Array.from(acc.dataSync(), (v) => v / (n - 1));
  tf.dispose([acc, meanT]);
  return { cov, mean };
}

/** `C · Q` for symmetric C [F, F] and column-major Q (p columns of length F). */
function multiply(cov: Float64Array, f: number, q: Float64Array[]): Float64Array[] {
  return q.map((col) => {
    const out = new Float64Array(f);
    for (let i = 0; i < f; i++) {
      let s = 0;
      for (let j = 0; j < f; j++) s += cov[i * f + j] * col[j];
      out[i] = s;
    }
    return out;
  });
}

const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0);

/** Orthonormalizes columns in place (modified Gram–Schmidt, twice for stability). */
function orthonormalize(q: Float64Array[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let a = 0; a < q.length; a++) {
      for (let b = 0; b < a; b++) {
        const d = dot(q[a], q[b]);
        for (let i = 0; i < q[a].length; i++) q[a][i] -= d * q[b][i];
      }
      const norm = Math.sqrt(dot(q[a], q[a]));
      // A column that vanished (rank-deficient data) is replaced by a unit vector; the next pass orthogonalizes it.
      if (norm < 1e-300) q[a].fill(0)[a % q[a].length] = 1;
      else for (let i = 0; i < q[a].length; i++) q[a][i] /= norm;
    }
  }
}

/** Eigen-decomposition of a small symmetric matrix (cyclic Jacobi): values and vectors (columns of `vectors`, row-major p×p). */
function jacobiEigen(a: Float64Array, p: number): { values: Float64Array; vectors: Float64Array } {
  const m = a.slice();
  const v = new Float64Array(p * p);
  for (let i = 0; i < p; i++) v[i * p + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) off += m[i * p + j] ** 2;
    if (off < 1e-30 * (1 + m.reduce((s, x) => s + x * x, 0))) break;
    for (let i = 0; i < p; i++) {
      for (let j = i + 1; j < p; j++) {
        const aij = m[i * p + j];
        if (aij === 0) continue;
        const theta = (m[j * p + j] - m[i * p + i]) / (2 * aij);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < p; k++) {
          const [mik, mjk] = [m[i * p + k], m[j * p + k]];
          m[i * p + k] = c * mik - s * mjk;
          m[j * p + k] = s * mik + c * mjk;
        }
        for (let k = 0; k < p; k++) {
          const [mki, mkj] = [m[k * p + i], m[k * p + j]];
          m[k * p + i] = c * mki - s * mkj;
          m[k * p + j] = s * mki + c * mkj;
          const [vki, vkj] = [v[k * p + i], v[k * p + j]];
          v[k * p + i] = c * vki - s * vkj;
          v[k * p + j] = s * vki + c * vkj;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: p }, (_, i) => m[i * p + i]), vectors: v };
}

/** Top-k eigenpairs of the symmetric `cov` by subspace iteration and a final Rayleigh–Ritz step. */
function topEigen(cov: Float64Array, f: number, k: number, options: PcaOptions): { values: Float64Array; vectors: Float64Array[] } {
  const p = Math.min(f, k + OVERSAMPLE);
  const next = uniformGenerator(deriveSeed(options.seed ?? 0, 0));
  let q: Float64Array[] = Array.from({ length: p }, () => Float64Array.from(normalArray(f, 1, next)));
  orthonormalize(q);
  const tolerance = options.tolerance ?? 1e-10;
  // With p = F the Rayleigh–Ritz step alone is exact.
  for (let it = 0; p < f && it < (options.maxIterations ?? 1000); it++) {
    const z = multiply(cov, f, q);
    orthonormalize(z);
    const settled = z.slice(0, k).every((col, i) => 1 - Math.abs(dot(col, q[i])) < tolerance);
    q = z;
    if (settled) break;
  }
  const cq = multiply(cov, f, q);
  const small = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) small[a * p + b] = dot(q[a], cq[b]);
  const { values, vectors } = jacobiEigen(small, p);
  const order = Array.from({ length: p }, (_, i) => i).sort((a, b) => values[b] - values[a]).slice(0, k);
  return {
    values: Float64Array.from(order, (i) => values[i]),
    vectors: order.map((i) => {
      const out = new Float64Array(f);
      for (let a = 0; a < p; a++) for (let r = 0; r < f; r++) out[r] += vectors[a * p + i] * q[a][r];
      return out;
    }),
  };
}

/**
 * Projects `features` ([N, F], N ≥ 2) on their `k` principal components (default 3: the 3-D
 * view). Deterministic; components are sign-normalized (largest entry positive).
 */
export function pca(features: Features, k = 3, options: PcaOptions = {}): PcaResult {
  const x = toMatrix(features, "features");
  const [n, f] = x.shape;
  if (n < 2) throw new Error(`pca: needs at least 2 rows, got ${n}`);
  if (!Number.isInteger(k) || k < 1 || k > f) throw new Error(`pca: k must be an integer in 1..${f} (the feature count), got ${k}`);
  const { cov, mean } = covariance(x);
  const { values, vectors } = topEigen(cov, f, k, options);
  const components = new Float32Array(k * f);
  vectors.forEach((v, c) => {
    const peak = v.reduce((best, val, i) => (Math.abs(val) > Math.abs(v[best]) ? i : best), 0);
    const sign = v[peak] < 0 ? -1 : 1;
    for (let j = 0; j < f; j++) components[c * f + j] = sign * v[j];
  });
  const projected = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < f; j++) s += (x.data[i * f + j] - mean[j]) * components[c * f + j];
      projected[i * k + c] = s;
    }
  }
  let total = 0;
  for (let j = 0; j < f; j++) total += cov[j * f + j];
  const explainedVariance = Float64Array.from(values, (v) => Math.max(v, 0));
  return {
    projected: { data: projected, shape: [n, k] },
    components: { data: components, shape: [k, f] },
    mean,
    explainedVariance,
    explainedVarianceRatio: explainedVariance.map((v) => (total > 0 ? v / total : 0)),
  };
}
