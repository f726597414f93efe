// Conv2DBackpropInput for tfjs-wasm, replacing its scalar loop: dx from dy and the filter.
import { Conv2DBackpropInput, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { runConv, type ConvBaseAttrs } from "./conv";

const conv2DBackpropInput = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as ConvBaseAttrs & { inputShape: number[] };
  return runConv({ kernel: Conv2DBackpropInput, symbol: "conv2d_backprop_input", backend, attrs: a,
    xShape: a.inputShape, filterShape: filter.shape, dy, a: dy, b: filter, outShape: a.inputShape });
};

/** Registers with `tf.registerKernel` to replace tfjs-wasm's scalar input gradient. */
export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: "wasm",
  kernelFunc: conv2DBackpropInput as KernelFunc,
};
