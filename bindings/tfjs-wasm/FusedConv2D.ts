// FusedConv2D for tfjs-wasm: without bias and activation (ResNet's convolutions) it is a plain
// convolution and runs our kernel; fused variants go to tfjs-wasm's own kernel.
import { FusedConv2D, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { runConvForward } from "./conv";
import { runOriginal } from "./originals";

const fusedConv2D: KernelFunc = (args) => runConvForward(FusedConv2D, args) ?? (runOriginal(FusedConv2D, args) as TensorInfo);

/** Registers with `tf.registerKernel`, wrapping tfjs-wasm's FusedConv2D. */
export const fusedConv2DConfig: KernelConfig = { kernelName: FusedConv2D, backendName: "wasm", kernelFunc: fusedConv2D };
