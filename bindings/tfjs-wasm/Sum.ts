// Sum for tfjs-wasm over leading axes (BatchNorm's N, H, W) without tfjs' transpose; other axes → tfjs.
import { Sum, type KernelConfig } from "@tensorflow/tfjs-core";
import { leadingReduction } from "./reduce";

/** Registers with `tf.registerKernel`, wrapping tfjs-wasm's Sum. */
export const sumConfig: KernelConfig = { kernelName: Sum, backendName: "wasm", kernelFunc: leadingReduction(Sum, false) };
