// Shared marshalling of the backward-convolution kernels: validates tfjs attrs, turns them into
// the 13 integers our kernels take (NHWC, dilation 1, padding before the first row/column) and
// runs the kernel in place on tfjs-wasm memory.
import { backend_util, type TensorInfo } from "@tensorflow/tfjs-core";
import { bridgeFor, type WasmBackendLike } from "./bridge";

type Pad = "valid" | "same" | number | backend_util.ExplicitPadding;

/** Attributes common to Conv2DBackpropFilter and Conv2DBackpropInput. */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: Pad;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
}

/** Geometry in kernel argument order: n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl. */
export type ConvGeometry = [number, number, number, number, number, number, number, number, number, number, number, number, number];

function fail(kernel: string, what: string): never {
  throw new Error(`byol-ts wasm ${kernel}: ${what}`);
}

/**
 * Checks the attrs and shapes and returns the kernel geometry; `dyShape` must be the output
 * shape the forward convolution of `xShape` with `filterShape` produces.
 */
export function convGeometry(kernel: string, xShape: number[], filterShape: number[], dy: TensorInfo,
  attrs: ConvGradAttrs, inputs: TensorInfo[]): ConvGeometry {
  if (attrs.dataFormat != null && attrs.dataFormat !== "NHWC") fail(kernel, `dataFormat '${attrs.dataFormat}' is not supported (NHWC only)`);
  for (const t of inputs) if (t.dtype !== "float32") fail(kernel, `dtype ${t.dtype} is not supported (float32 only)`);
  if (xShape.length !== 4 || filterShape.length !== 4 || dy.shape.length !== 4) {
    fail(kernel, `expected rank-4 input [${xShape}], filter [${filterShape}] and dy [${dy.shape}]`);
  }
  if (xShape[3] !== filterShape[2]) fail(kernel, `input has ${xShape[3]} channels but the filter [${filterShape}] expects ${filterShape[2]}`);
  const strides = typeof attrs.strides === "number" ? [attrs.strides, attrs.strides] : attrs.strides;
  if (!Array.isArray(strides) || strides.length !== 2 || !strides.every((s) => Number.isInteger(s) && s >= 1)) {
    fail(kernel, `strides must be positive integers, got ${JSON.stringify(attrs.strides)}`);
  }
  let info: backend_util.Conv2DInfo;
  try {
    info = backend_util.computeConv2DInfo(xShape as [number, number, number, number],
      filterShape as [number, number, number, number], strides as [number, number], 1, attrs.pad, attrs.dimRoundingMode);
  } catch (e) {
    fail(kernel, `bad padding ${JSON.stringify(attrs.pad)}: ${(e as Error).message}`);
  }
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (want.some((d, i) => d !== dy.shape[i])) fail(kernel, `dy has shape [${dy.shape}] but the convolution produces [${want}]`);
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
}

type Symbol = "conv2d_backprop_filter" | "conv2d_backprop_input";
type Exports = Record<`${Symbol}_scratch`, (...geometry: number[]) => number> &
  Record<Symbol, (a: number, b: number, out: number, scratch: number, ...geometry: number[]) => void>;

/** One backward convolution: the tensors `a`, `b` feed kernel `symbol`, which writes a new `outShape` tensor. */
export interface ConvGradCall {
  kernel: string;
  symbol: Symbol;
  backend: unknown;
  attrs: ConvGradAttrs;
  xShape: number[];
  filterShape: number[];
  dy: TensorInfo;
  a: TensorInfo;
  b: TensorInfo;
  outShape: number[];
}

/** Validates, then runs the kernel on tfjs-wasm memory with reused scratch; returns the output tensor. */
export function runConvGrad(c: ConvGradCall): TensorInfo {
  const g = convGeometry(c.kernel, c.xShape, c.filterShape, c.dy, c.attrs, [c.a, c.b]);
  const bridge = bridgeFor(c.backend as WasmBackendLike);
  const k = bridge.exports as unknown as Exports;
  const scratch = bridge.scratch(k[`${c.symbol}_scratch`](...g));
  const out = bridge.output(c.outShape);
  k[c.symbol](bridge.ptr(c.a), bridge.ptr(c.b), out.ptr, scratch, ...g);
  return out.info;
}
