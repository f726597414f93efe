// Conv2DBackpropFilter for tfjs-wasm (which has none): dW from x and dy, in place on tfjs memory.
import { Conv2DBackpropFilter, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { runConv, type ConvBaseAttrs } from "./conv";

const conv2DBackpropFilter = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as ConvBaseAttrs & { filterShape: number[] };
  return runConv({ kernel: Conv2DBackpropFilter, symbol: "conv2d_backprop_filter", backend, attrs: a,
    xShape: x.shape, filterShape: a.filterShape, dy, a: x, b: dy, outShape: a.filterShape });
};

/** Registers with `tf.registerKernel` to give the wasm backend a filter gradient. */
export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: "wasm",
  kernelFunc: conv2DBackpropFilter as KernelFunc,
};
