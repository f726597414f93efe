// Installs our kernels on the tfjs wasm backend, remembering any tfjs kernel they replace so that
// unregistering restores tfjs' own behaviour (benchmarks compare the two in one process).
import { findBackend, getKernel, registerKernel, unregisterKernel, type KernelConfig } from "@tensorflow/tfjs-core";
import { batchMatMulConfig } from "./BatchMatMul";
import { batchNormGradConfig, batchNormTrainConfig } from "./batchnorm";
import { conv2DConfig } from "./Conv2D";
import { conv2DBackpropFilterConfig } from "./Conv2DBackpropFilter";
import { conv2DBackpropInputConfig } from "./Conv2DBackpropInput";
import { padV2Config, sliceConfig } from "./copy-rows";
import { fusedConv2DConfig } from "./FusedConv2D";
import { fusedMatMulConfig } from "./FusedMatMul";
import { identityConfig } from "./Identity";
import { maxPoolGradConfig } from "./MaxPoolGrad";
import { meanConfig } from "./Mean";
import { ensureSetUp, rememberedOriginals, rememberOriginal } from "./originals";
import { sumConfig } from "./Sum";

/** Every kernel byol-ts registers for the `wasm` backend. */
export const wasmKernelConfigs: readonly KernelConfig[] = [
  conv2DConfig, fusedConv2DConfig, conv2DBackpropFilterConfig, conv2DBackpropInputConfig, maxPoolGradConfig, sumConfig, meanConfig,
  identityConfig, batchMatMulConfig, fusedMatMulConfig, sliceConfig, padV2Config, batchNormTrainConfig, batchNormGradConfig,
];

let registered = false;

/** Registers our wasm kernels (idempotent). Needs `initKernels()` to have run before they execute. */
export function registerWasmKernels(): void {
  if (registered) return;
  for (const config of wasmKernelConfigs) {
    const previous = getKernel(config.kernelName, "wasm");
    if (previous) unregisterKernel(config.kernelName, "wasm");
    rememberOriginal(config.kernelName, previous);
    registerKernel(config);
  }
  registered = true;
}

/** Removes our wasm kernels and puts back the tfjs kernels they replaced. */
export function unregisterWasmKernels(): void {
  if (!registered) return;
  const backend = findBackend("wasm");
  for (const [name, previous] of rememberedOriginals()) {
    unregisterKernel(name, "wasm");
    if (!previous) continue;
    registerKernel(previous);
    if (backend) ensureSetUp(previous, backend);
  }
  rememberedOriginals().clear();
  registered = false;
}
