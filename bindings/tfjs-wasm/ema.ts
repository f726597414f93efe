// The target's moving average in place on tfjs-wasm's memory: one `ema_blend_many` call over
// every (target, online) pair, with the pointer tables in the bridge's reused scratch. No tensor
// is created and nothing is copied, where tfjs ops make two temporaries and a new target per pair.
import { getBackend, backend as activeBackend, type TensorInfo } from "@tensorflow/tfjs-core";
import { kernelBuild } from "../loader";
import { backendMemory, bridgeFor, type WasmBackendLike } from "./bridge";

interface EmaExports {
  ema_blend_many(targets: number, onlines: number, lengths: number, count: number, tau: number): void;
}

/** A target tensor and the online tensor it follows. */
export type EmaPair = readonly [target: TensorInfo, online: TensorInfo];

const size = (t: TensorInfo) => t.shape.reduce((a, b) => a * b, 1);

/**
 * target ← tau·target + (1 − tau)·online for every pair it can blend in place, in one kernel call
 * on the active tfjs-wasm backend. Returns the pairs it left alone, for the caller to blend with
 * tfjs ops: all of them when the backend is not wasm or the byol-ts kernels are not loaded, and
 * any pair whose target shares its data with another tensor (writing would change that tensor
 * too: tfjs variables share data after `assign`/`setWeights`, our Identity after `clone`), is not
 * float32, or differs in size from its online tensor.
 */
export function emaBlendInPlace<P extends EmaPair>(pairs: readonly P[], tau: number): P[] {
  if (!Number.isFinite(tau) || tau < 0 || tau > 1) throw new RangeError(`emaBlendInPlace: tau must be a finite number in [0, 1], got ${tau}`);
  if (pairs.length === 0 || getBackend() !== "wasm" || kernelBuild() === null) return [...pairs];
  const backend = activeBackend() as unknown as WasmBackendLike;
  const bridge = bridgeFor(backend);
  const rest: P[] = [];
  const targets: number[] = [];
  const onlines: number[] = [];
  const lengths: number[] = [];
  for (const pair of pairs) {
    const [t, o] = pair;
    const n = size(t);
    let tp: number;
    let op: number;
    try {
      if (t.dtype !== "float32" || o.dtype !== "float32" || n !== size(o)) throw new Error("not blendable");
      tp = bridge.writablePtr(t);
      op = bridge.ptr(o);
    } catch {
      rest.push(pair);
      continue;
    }
    targets.push(tp);
    onlines.push(op);
    lengths.push(n);
  }
  const count = targets.length;
  if (count === 0) return rest;
  const base = bridge.scratch(12 * count);
  // the view is taken after scratch(): its malloc may have grown (replaced) the buffer
  const tables = new Int32Array(backendMemory(backend).buffer, base, 3 * count);
  tables.set(targets, 0);
  tables.set(onlines, count);
  tables.set(lengths, 2 * count);
  (bridge.exports as unknown as EmaExports).ema_blend_many(base, base + 4 * count, base + 8 * count, count, tau);
  return rest;
}
