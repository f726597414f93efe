// Identity for tfjs-wasm without a copy: the output shares the input's data and bumps its
// reference count, as tfjs' cpu backend does (tfjs-wasm copies; tfjs' gradients call it often).
import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";

const identity = ({ inputs, backend }: Parameters<KernelFunc>[0]): TensorInfo => {
  const { x } = inputs as { x: TensorInfo };
  (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Registers with `tf.registerKernel` to replace tfjs-wasm's copying Identity. */
export const identityConfig: KernelConfig = { kernelName: Identity, backendName: "wasm", kernelFunc: identity as KernelFunc };
