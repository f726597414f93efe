// BYOL's loss as a tfjs op for the learner: mean_b[(2 − 2cos(q1, z2)) + (2 − 2cos(q2, z1))], with
// gradients flowing to the online predictions q1, q2 and none to the target projections z1, z2.
// Two implementations with the same semantics: our kernel (value and gradient in one call, wrapped
// in tf.customGrad) and plain tfjs ops (autodiff).
import * as tf from "./tf";
import { byolLoss } from "../bindings/loss";

/** `'kernel'`: assembly/loss.ts via the bindings; `'tfjs'`: tfjs ops on the active backend. */
export type LossImpl = "kernel" | "tfjs";

/** Options for {@link byolLossTensor}. */
export interface ByolLossTensorOptions {
  /** Implementation (default `'kernel'`, which needs `await initKernels()` first). */
  impl?: LossImpl;
}

/** Σx² clamp of the row normalization (‖x‖ ≥ 1e-12, as PyTorch's F.normalize). */
const NORM_EPS_SQ = 1e-24;

/** Identity whose gradient is zero: the target's outputs get no gradient (tfjs has no stopGradient op). */
export const stopGradient = tf.customGrad((x) => ({
  value: tf.clone(x as tf.Tensor),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as <T extends tf.Tensor>(x: T) => T;

/** Rows of `x` scaled to unit L2 norm, x·rsqrt(max(Σx², 1e-24)) (zero rows stay zero): the loss's, the monitors' and the evaluation's. */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), -1, true), NORM_EPS_SQ))));
}

/**
 * Per-row normalized-cosine loss 2 − 2cos(p_b, z_b) of [B, D] tensors with tfjs ops (autodiff
 * gives gradients to both arguments; wrap `z` to stop them). Returns a [B] tensor.
 */
export function normalizedCosineLossTf(p: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sub(2, tf.mul(2, tf.sum(tf.mul(l2Normalize(p), l2Normalize(z)), -1))));
}

function checkInputs(inputs: Record<string, tf.Tensor>): [number, number] {
  let shape: number[] | null = null; // q1's, which the others must match
  for (const [name, x] of Object.entries(inputs)) {
    if (!(x instanceof tf.Tensor)) throw new TypeError(`byolLossTensor: ${name} must be a tf.Tensor`);
    if (x.dtype !== "float32") throw new TypeError(`byolLossTensor: ${name} has dtype ${x.dtype}, expected float32`);
    const [b, d] = x.shape as number[];
    if (x.rank !== 2 || b < 1 || d < 1) {
      throw new RangeError(`byolLossTensor: ${name} has shape [${x.shape}], expected [B, D] with B ≥ 1, D ≥ 1`);
    }
    shape ??= [b, d];
    if (b !== shape[0] || d !== shape[1]) {
      throw new RangeError(`byolLossTensor: ${name} has shape [${x.shape}] but q1 has [${shape}]; all four must match`);
    }
  }
  return [shape![0], shape![1]];
}

/** Kernel path: one kernel call gives the value and both gradients; tfjs only sees a custom op. */
function kernelLoss(q1: tf.Tensor2D, z2: tf.Tensor2D, q2: tf.Tensor2D, z1: tf.Tensor2D, B: number, D: number): tf.Scalar {
  const op = tf.customGrad((...inputs) => {
    // the last argument is tfjs' `save` function, not a tensor
    const [a, b, c, d] = (inputs.slice(0, 4) as tf.Tensor[]).map((x) => x.dataSync() as Float32Array);
    const r = byolLoss(a, b, c, d, B, D);
    return {
      value: tf.scalar(r.loss),
      gradFunc: (dy: tf.Scalar) => [
        tf.mul(dy, tf.tensor2d(r.gradQ1, [B, D])),
        tf.zerosLike(z2),
        tf.mul(dy, tf.tensor2d(r.gradQ2, [B, D])),
        tf.zerosLike(z1),
      ],
    };
  });
  return op(q1, z2, q2, z1) as tf.Scalar;
}

/**
 * BYOL's symmetric loss mean_b[(2 − 2cos(q1, z2)) + (2 − 2cos(q2, z1))] as a scalar tfjs op:
 * `q1`, `q2` are the online predictions of views 1 and 2, `z1`, `z2` the target projections, all
 * float32 [B, D]. Gradients flow to q1 and q2; z1 and z2 get zero gradient (stop-gradient).
 * Both implementations agree to float32 rounding (tested on the cpu and wasm backends); the
 * `'kernel'` one reads the tensors synchronously, throws on non-finite inputs and rescales rows
 * whose Σx² would overflow float32; the `'tfjs'` one stays on the backend's device, squares in
 * float32 (rows with entries beyond ~1e19 overflow) and leaves non-finite values to propagate.
 */
export function byolLossTensor(q1: tf.Tensor2D, z2: tf.Tensor2D, q2: tf.Tensor2D, z1: tf.Tensor2D, options: ByolLossTensorOptions = {}): tf.Scalar {
  const impl = options.impl ?? "kernel";
  const [B, D] = checkInputs({ q1, z2, q2, z1 });
  if (impl === "kernel") return kernelLoss(q1, z2, q2, z1, B, D);
  if (impl !== "tfjs") throw new RangeError(`byolLossTensor: impl must be 'kernel' or 'tfjs', got ${JSON.stringify(impl)}`);
  return tf.tidy(() => {
    const sum = tf.add(
      normalizedCosineLossTf(q1, stopGradient(z2)),
      normalizedCosineLossTf(q2, stopGradient(z1)),
    );
    return tf.mean(sum) as tf.Scalar;
  });
}
