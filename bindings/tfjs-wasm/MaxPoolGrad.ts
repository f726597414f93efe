// MaxPoolGrad for tfjs-wasm, replacing its slow loop: dx from dy and the pooled input.
import { backend_util, MaxPoolGrad, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { bridgeFor, type WasmBackendLike } from "./bridge";

interface Exports {
  max_pool_grad(x: number, dy: number, dx: number, ...geometry: number[]): void;
}

const maxPoolGrad = ({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as { filterSize: [number, number] | number; strides: [number, number] | number; pad: never; dimRoundingMode?: never };
  if (input.dtype !== "float32" || dy.dtype !== "float32") throw new Error(`byol-ts wasm MaxPoolGrad: dtype ${input.dtype} is not supported (float32 only)`);
  if (input.shape.length !== 4) throw new Error(`byol-ts wasm MaxPoolGrad: expected a rank-4 NHWC input, got [${input.shape}]`);
  const info = backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const want = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (want.some((d, i) => d !== dy.shape[i])) throw new Error(`byol-ts wasm MaxPoolGrad: dy has shape [${dy.shape}] but pooling produces [${want}]`);
  const bridge = bridgeFor(backend as unknown as WasmBackendLike);
  const out = bridge.output(input.shape);
  (bridge.exports as unknown as Exports).max_pool_grad(bridge.ptr(input), bridge.ptr(dy), out.ptr, info.batchSize, info.inHeight,
    info.inWidth, info.inChannels, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth, info.strideHeight,
    info.strideWidth, info.padInfo.top, info.padInfo.left);
  return out.info;
};

/** Registers with `tf.registerKernel` to replace tfjs-wasm's MaxPoolGrad. */
export const maxPoolGradConfig: KernelConfig = { kernelName: MaxPoolGrad, backendName: "wasm", kernelFunc: maxPoolGrad as KernelFunc };
