// byol-ts public API (universal: browser and Node). Node-only helpers live in `byol-ts/node`.
export { initKernels, kernelBuild, simdSupported } from "../bindings/loader";
export type { InitKernelsOptions, KernelBuild } from "../bindings/loader";
export { parseSafetensors, readSafetensors, writeSafetensors } from "./io/safetensors";
export type { SafeTensor, SafeTensorInput, SafetensorsDtype, SafetensorsFile } from "./io/safetensors";
