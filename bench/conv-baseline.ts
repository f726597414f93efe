// The baseline our kernels are measured against: a Conv2DBackpropFilter for tfjs-wasm composed
// of its own kernels (transpose + a dilated conv2d), the way one makes conv nets train on wasm
// without writing kernels. Used by bench/conv.ts only.
import * as tf from "@tensorflow/tfjs";
import { backend_util, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";

type Backend = { disposeData(id: object): void };

function run(name: string, inputs: Record<string, TensorInfo>, attrs: object, backend: unknown): TensorInfo {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`tfjs-wasm has no ${name} kernel`);
  return k.kernelFunc({ inputs, attrs: attrs as never, backend: backend as never }) as TensorInfo;
}

/**
 * dW[kh, kw, ci, co] = Σ_{n, oh, ow} x[n, oh·s + kh − pt, ow·s + kw − pl, ci] · dy[n, oh, ow, co]
 * is a convolution of xᵀ [ci, h, w, n] with dyᵀ [oh, ow, n, co] as filter, dilated by the stride.
 */
const composedFilterGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as { strides: [number, number] | number; pad: never; dimRoundingMode?: never; filterShape: [number, number, number, number] };
  const info = backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  const { strideHeight: sh, strideWidth: sw, padInfo } = info;
  // padding after the last row/column that makes the output exactly kh × kw; negative = crop x
  const pb = info.filterHeight - info.inHeight - padInfo.top + (info.outHeight - 1) * sh;
  const pr = info.filterWidth - info.inWidth - padInfo.left + (info.outWidth - 1) * sw;
  const temps: TensorInfo[] = [];
  let xs = x;
  if (pb < 0 || pr < 0) {
    const size = [x.shape[0], x.shape[1] + Math.min(pb, 0), x.shape[2] + Math.min(pr, 0), x.shape[3]];
    xs = run("Slice", { x }, { begin: [0, 0, 0, 0], size }, backend);
    temps.push(xs);
  }
  const xt = run("Transpose", { x: xs }, { perm: [3, 1, 2, 0] }, backend);
  const dyt = run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] }, backend);
  const pad = [[0, 0], [padInfo.top, Math.max(pb, 0)], [padInfo.left, Math.max(pr, 0)], [0, 0]];
  const conv = run("Conv2D", { x: xt, filter: dyt }, { strides: [1, 1], pad, dataFormat: "NHWC", dilations: [sh, sw] }, backend);
  const out = run("Transpose", { x: conv }, { perm: [1, 2, 0, 3] }, backend);
  for (const t of [...temps, xt, dyt, conv]) (backend as Backend).disposeData(t.dataId);
  return out;
};

/** The composed filter gradient as a wasm kernel config. */
export const composedFilterGradConfig: KernelConfig = {
  kernelName: "Conv2DBackpropFilter",
  backendName: "wasm",
  kernelFunc: composedFilterGrad,
};
