// Conv2D for tfjs-wasm: plain NHWC convolutions run our implicit-GEMM kernel (which skips padding
// taps XNNPACK computes); anything else goes to tfjs-wasm's own kernel.
import { Conv2D, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { runConvForward } from "./conv";
import { runOriginal } from "./originals";

const conv2D: KernelFunc = (args) => runConvForward(Conv2D, args) ?? (runOriginal(Conv2D, args) as TensorInfo);

/** Registers with `tf.registerKernel`, wrapping tfjs-wasm's Conv2D. */
export const conv2DConfig: KernelConfig = { kernelName: Conv2D, backendName: "wasm", kernelFunc: conv2D };
