// Mean for tfjs-wasm over leading axes (BatchNorm's N, H, W) without tfjs' transpose; other axes → tfjs.
import { Mean, type KernelConfig } from "@tensorflow/tfjs-core";
import { leadingReduction } from "./reduce";

/** Registers with `tf.registerKernel`, wrapping tfjs-wasm's Mean. */
export const meanConfig: KernelConfig = { kernelName: Mean, backendName: "wasm", kernelFunc: leadingReduction(Mean, true) };
