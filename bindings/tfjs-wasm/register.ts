// Installs our kernels on the tfjs wasm backend, remembering any tfjs kernel they replace so that
// unregistering restores tfjs' own behaviour (benchmarks compare the two in one process).
import { findBackend, getKernel, registerKernel, unregisterKernel, type KernelConfig } from "@tensorflow/tfjs-core";
import { conv2DBackpropFilterConfig } from "./Conv2DBackpropFilter";
import { conv2DBackpropInputConfig } from "./Conv2DBackpropInput";

/** Every kernel byol-ts registers for the `wasm` backend. */
export const wasmKernelConfigs: readonly KernelConfig[] = [conv2DBackpropFilterConfig, conv2DBackpropInputConfig];

const replaced = new Map<string, KernelConfig | undefined>();

/** True while our kernels are registered. */
export function wasmKernelsRegistered(): boolean {
  return replaced.size > 0;
}

/** Registers our wasm kernels (idempotent). Needs `initKernels()` to have run before they execute. */
export function registerWasmKernels(): void {
  if (wasmKernelsRegistered()) return;
  for (const config of wasmKernelConfigs) {
    const previous = getKernel(config.kernelName, "wasm");
    if (previous) unregisterKernel(config.kernelName, "wasm");
    replaced.set(config.kernelName, previous);
    registerKernel(config);
  }
}

/** Removes our wasm kernels and puts back the tfjs kernels they replaced. */
export function unregisterWasmKernels(): void {
  for (const [name, previous] of replaced) {
    unregisterKernel(name, "wasm");
    if (!previous) continue;
    registerKernel(previous);
    // a tfjs kernel binds its wasm function at backend set-up, which may have happened while ours was in place
    const backend = findBackend("wasm");
    if (backend && previous.setupFunc) previous.setupFunc(backend);
  }
  replaced.clear();
}
