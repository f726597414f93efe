// The target's moving average, target ← τ·target + (1 − τ)·online, over pairs of variables: one
// kernel call on wasm (bindings/tfjs-wasm/ema.ts), tfjs ops elsewhere — the same float32 result.
import * as tf from "./tf";
import { emaBlendWasm } from "../bindings/tfjs-wasm/ema";

/** A target variable and the online tensor it follows. */
export type TargetPair = readonly [target: tf.Variable, online: tf.Tensor];

/** Blends every target towards its online tensor with decay `tau` ∈ [0, 1]. */
export function blendTargets(pairs: readonly TargetPair[], tau: number): void {
  const rest = emaBlendWasm(pairs, tau);
  // 1 − τ in float32 arithmetic, as the kernel computes it: both paths agree bit for bit
  const a = 1 - Math.fround(tau);
  tf.tidy(() => {
    for (const [t, o] of rest) t.assign(tf.add(tf.mul(t, tau), tf.mul(o, a)));
  });
}
