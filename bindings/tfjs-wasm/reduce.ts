// Shared marshalling of Sum and Mean: reductions over leading axes run our column-sum kernel in
// place; every other reduction goes to tfjs-wasm's own kernel.
import { util, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { bridgeFor, type WasmBackendLike } from "./bridge";
import { runOriginal } from "./originals";

interface Exports {
  sum_leading(x: number, out: number, rows: number, cols: number, scale: number): void;
}

/** Number of leading axes `axis` names when it is exactly 0..k−1 with k below the rank, else 0. */
function leadingAxes(axis: number | number[] | undefined, rank: number): number {
  if (axis == null) return 0;
  const axes = [...new Set(util.parseAxisParam(axis, new Array(rank).fill(1)))].sort((a, b) => a - b);
  return axes.length < rank && axes.every((a, i) => a === i) ? axes.length : 0;
}

/** A Sum- or Mean-like kernelFunc: `mean` scales by 1/rows. */
export function leadingReduction(name: string, mean: boolean): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const k = x.dtype === "float32" ? leadingAxes(axis, x.shape.length) : 0;
    const rows = util.sizeFromShape(x.shape.slice(0, k));
    if (k === 0 || rows === 0) return runOriginal(name, args);
    const cols = util.sizeFromShape(x.shape.slice(k));
    const bridge = bridgeFor(args.backend as unknown as WasmBackendLike);
    const shape = keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
    const out = bridge.output(shape);
    (bridge.exports as unknown as Exports).sum_leading(bridge.ptr(x), out.ptr, rows, cols, mean ? 1 / rows : 1);
    return out.info;
  };
}
