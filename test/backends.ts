// Test helper: switch tfjs backends, with byol-ts' wasm kernels registered for 'wasm'.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { initKernels } from "../bindings/loader";
import { registerWasmKernels } from "../bindings/tfjs-wasm/register";

export async function useBackend(name: "cpu" | "wasm"): Promise<void> {
  await initKernels();
  if (name === "wasm") registerWasmKernels();
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
}
