// The target's moving average on tfjs-wasm's memory: one `ema_blend_many` call over every
// (target, online) pair writes each blend into a fresh tensor that the target variable then
// takes. Not in place: tfjs-wasm's XNNPACK operators (MatMul, Conv2D) pack a weight once per
// tensor id and reuse the packed copy while that id lives, so a weight rewritten in place is
// computed with stale values. A new id per step makes them pack the current weights.
import { engine, getBackend, backend as activeBackend, type Tensor, type TensorInfo, type Variable } from "@tensorflow/tfjs-core";
import { kernelBuild } from "../loader";
import { backendMemory, bridgeFor, type WasmBackendLike } from "./bridge";

interface EmaExports {
  ema_blend_many(targets: number, onlines: number, outs: number, lengths: number, count: number, tau: number): void;
}

/** A target variable and the online tensor it follows. */
export type EmaPair = readonly [target: Variable, online: Tensor];

/**
 * target ← tau·target + (1 − tau)·online for every float32 pair of equal sizes, in one kernel call
 * on the active tfjs-wasm backend. Returns the pairs it left alone, for the caller to blend with
 * tfjs ops: all of them when the backend is not wasm or the byol-ts kernels are not loaded, and
 * any pair that is not float32 or whose sizes differ.
 */
export function emaBlendWasm<P extends EmaPair>(pairs: readonly P[], tau: number): P[] {
  if (!Number.isFinite(tau) || tau < 0 || tau > 1) throw new RangeError(`emaBlendWasm: tau must be a finite number in [0, 1], got ${tau}`);
  if (pairs.length === 0 || getBackend() !== "wasm" || kernelBuild() === null) return [...pairs];
  const backend = activeBackend() as unknown as WasmBackendLike;
  const bridge = bridgeFor(backend);
  const rest: P[] = [];
  const blended: Array<{ target: Variable; out: TensorInfo }> = [];
  const ptrs: number[][] = [[], [], [], []];
  for (const pair of pairs) {
    const [t, o] = pair;
    if (t.dtype !== "float32" || o.dtype !== "float32" || t.size !== o.size) {
      rest.push(pair);
      continue;
    }
    const out = bridge.output(t.shape);
    blended.push({ target: t, out: out.info });
    ptrs[0].push(bridge.ptr(t));
    ptrs[1].push(bridge.ptr(o));
    ptrs[2].push(out.ptr);
    ptrs[3].push(t.size);
  }
  const count = blended.length;
  if (count === 0) return rest;
  const base = bridge.scratch(16 * count);
  // the view is taken after scratch(): its malloc may have grown (replaced) the buffer
  const tables = new Int32Array(backendMemory(backend).buffer, base, 4 * count);
  ptrs.forEach((column, j) => tables.set(column, j * count));
  (bridge.exports as unknown as EmaExports).ema_blend_many(base, base + 4 * count, base + 8 * count, base + 12 * count, count, tau);
  for (const { target, out } of blended) {
    const value = engine().makeTensorFromTensorInfo(out);
    target.assign(value);
    value.dispose();
  }
  return rest;
}
