// Shared marshalling of the convolution kernels: validates tfjs attrs, turns them into the 13
// integers our kernels take (NHWC, dilation 1, padding before the first row/column) and runs the
// kernel in place on tfjs-wasm memory.
import { backend_util, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { backendMemory, bridgeFor, type WasmBackendLike } from "./bridge";
import { kernelHelpers, type KernelThread } from "./threads";

type Pad = "valid" | "same" | number | backend_util.ExplicitPadding;

/** Attributes common to Conv2D, FusedConv2D, Conv2DBackpropFilter and Conv2DBackpropInput. */
export interface ConvBaseAttrs {
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
 * Checks the attrs and shapes and returns the kernel geometry; `dy` (gradients only) must have
 * the output shape of the forward convolution of `xShape` with `filterShape`.
 */
export function convGeometry(kernel: string, xShape: number[], filterShape: number[], dy: TensorInfo | null,
  attrs: ConvBaseAttrs, inputs: TensorInfo[]): ConvGeometry {
  if (attrs.dataFormat != null && attrs.dataFormat !== "NHWC") fail(kernel, `dataFormat '${attrs.dataFormat}' is not supported (NHWC only)`);
  for (const t of inputs) if (t.dtype !== "float32") fail(kernel, `dtype ${t.dtype} is not supported (float32 only)`);
  if (xShape.length !== 4 || filterShape.length !== 4 || (dy && dy.shape.length !== 4)) {
    fail(kernel, `expected rank-4 input [${xShape}], filter [${filterShape}]${dy ? ` and dy [${dy.shape}]` : ""}`);
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
  if (dy && want.some((d, i) => d !== dy.shape[i])) fail(kernel, `dy has shape [${dy.shape}] but the convolution produces [${want}]`);
  return [info.batchSize, info.inHeight, info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.outChannels,
    info.filterHeight, info.filterWidth, info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left];
}

/** The convolution kernels' export names (helper threads serve these). */
export const CONV_KERNELS = ["conv2d_forward", "conv2d_backprop_filter", "conv2d_backprop_input"] as const;
type Symbol = (typeof CONV_KERNELS)[number];
type Exports = Record<`${Symbol}_scratch`, (...geometry: number[]) => number> &
  Record<Symbol, (a: number, b: number, out: number, scratch: number, ...geometry: number[]) => void>;

/** One convolution: the tensors `a`, `b` feed kernel `symbol`, which writes a new `outShape` tensor (dy: gradients only). */
export interface ConvCall {
  kernel: string;
  symbol: Symbol;
  backend: unknown;
  attrs: ConvBaseAttrs;
  xShape: number[];
  filterShape: number[];
  dy: TensorInfo | null;
  a: TensorInfo;
  b: TensorInfo;
  /** Default: the forward convolution's output shape. */
  outShape?: number[];
}

/** Validates, then runs the kernel on tfjs-wasm memory with reused scratch; returns the output tensor. */
export function runConv(c: ConvCall): TensorInfo {
  const g = convGeometry(c.kernel, c.xShape, c.filterShape, c.dy, c.attrs, [c.a, c.b]);
  const bridge = bridgeFor(c.backend as WasmBackendLike);
  const k = bridge.exports as unknown as Exports;
  const parts = batchParts(g, kernelHelpers().length + 1);
  const mine: ConvGeometry = [parts[0][1] - parts[0][0], ...g.slice(1)] as ConvGeometry;
  const scratch = bridge.scratch(k[`${c.symbol}_scratch`](...mine));
  const out = bridge.output(c.outShape ?? [g[0], g[4], g[5], g[6]]);
  const a = bridge.ptr(c.a);
  const b = bridge.ptr(c.b);
  const helped = parts.slice(1).map((part, i) => postPart(kernelHelpers()[i], k, c.symbol, g, part, backendMemory(c.backend as WasmBackendLike), a, b));
  k[c.symbol](a, b, out.ptr, scratch, ...mine);
  for (const h of helped) h.collect(backendMemory(c.backend as WasmBackendLike), out.ptr);
  return out.info;
}

/** Floats per image of the kernel's operands a, b and output; 0 = not split by image (the filter). */
function perImage(symbol: Symbol, g: ConvGeometry): { a: number; b: number; out: number; filter: number } {
  const [, h, w, cin, oh, ow, cout, kh, kw] = g;
  const x = h * w * cin;
  const y = oh * ow * cout;
  const filter = kh * kw * cin * cout;
  if (symbol === "conv2d_forward") return { a: x, b: 0, out: y, filter };
  if (symbol === "conv2d_backprop_input") return { a: y, b: 0, out: x, filter };
  return { a: x, b: y, out: 0, filter }; // filter gradient: per-part sums are added
}

/** Below this many multiply-adds a call stays on one thread (waking a helper costs ~0.1 ms). */
const MIN_SPLIT_MACS = 1 << 22;

/** Image ranges [start, end) of the batch, the caller's first; one range when not worth splitting. */
export function batchParts(g: ConvGeometry, threads: number): [number, number][] {
  const [n, , , cin, oh, ow, cout, kh, kw] = g;
  const parts = Math.min(threads, n, Math.max(1, Math.floor((n * oh * ow * cout * kh * kw * cin) / MIN_SPLIT_MACS)));
  return Array.from({ length: parts }, (_, i) => [Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts)]);
}

/**
 * Copies one part of the batch to a helper and starts the kernel there; `collect` waits for it
 * and writes its images of the output (or adds its partial filter gradient) into `out`.
 */
function postPart(helper: KernelThread, k: Exports, symbol: Symbol, g: ConvGeometry, [start, end]: [number, number],
  memory: WebAssembly.Memory, a: number, b: number): { collect(memory: WebAssembly.Memory, out: number): void } {
  const size = perImage(symbol, g);
  const n = end - start;
  const geometry: ConvGeometry = [n, ...g.slice(1)] as ConvGeometry;
  const aLen = n * size.a;
  const bLen = size.b ? n * size.b : size.filter;
  const outLen = size.out ? n * size.out : size.filter;
  const align = (bytes: number) => (bytes + 63) & ~63;
  const [pa, pb, po] = [0, align(4 * aLen), align(4 * aLen) + align(4 * bLen)];
  const ps = po + align(4 * outLen);
  helper.reserve(ps + k[`${symbol}_scratch`](...geometry));
  const from = (ptr: number, offset: number, len: number) => new Float32Array(memory.buffer, ptr + 4 * offset, len);
  helper.floats(pa, aLen).set(from(a, start * size.a, aLen));
  helper.floats(pb, bLen).set(from(b, size.b ? start * size.b : 0, bLen));
  helper.post(symbol, [pa, pb, po, ps, ...geometry]);
  return {
    collect(tfjsMemory, out) {
      helper.wait();
      const result = helper.floats(po, outLen);
      if (size.out) new Float32Array(tfjsMemory.buffer, out + 4 * start * size.out, outLen).set(result);
      else {
        const sum = new Float32Array(tfjsMemory.buffer, out, outLen);
        for (let i = 0; i < outLen; i++) sum[i] += result[i];
      }
    },
  };
}

/** Attributes of Conv2D and FusedConv2D that decide whether our forward kernel applies. */
export interface ConvAttrs extends ConvBaseAttrs {
  dilations?: [number, number] | number;
  activation?: string;
}

/** Below this many input channels XNNPACK's dense product beats our per-tap one (measured: stems). */
const MIN_FORWARD_CHANNELS = 16;

/**
 * Our forward convolution when the call is a plain NHWC float32 convolution (dilation 1; for
 * FusedConv2D no bias, prelu or activation) with enough input channels; null means "leave it to tfjs".
 */
export function runConvForward(kernel: string, args: Parameters<KernelFunc>[0]): TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const a = args.attrs as unknown as ConvAttrs;
  const dil = a.dilations == null ? [1, 1] : typeof a.dilations === "number" ? [a.dilations, a.dilations] : a.dilations;
  const plain = x && filter && bias == null && preluActivationWeights == null && (a.activation ?? "linear") === "linear" &&
    dil[0] === 1 && dil[1] === 1 && (a.dataFormat ?? "NHWC") === "NHWC" && x.dtype === "float32" && filter.dtype === "float32" &&
    x.shape.length === 4 && x.shape[3] >= MIN_FORWARD_CHANNELS;
  // threaded tfjs-wasm runs XNNPACK's forward on all cores; ours is single-threaded
  if (!plain || bridgeFor(args.backend as WasmBackendLike).shared) return null;
  return runConv({ kernel, symbol: "conv2d_forward", backend: args.backend, attrs: a,
    xShape: x.shape, filterShape: filter.shape, dy: null, a: x, b: filter });
}
