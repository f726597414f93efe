// byol-ts public API (universal: browser and Node). Node-only helpers live in `byol-ts/node`.
export { initKernels, kernelBuild, simdSupported } from "../bindings/loader";
export type { InitKernelsOptions, KernelBuild } from "../bindings/loader";
export { parseSafetensors, readSafetensors, writeSafetensors } from "./io/safetensors";
export type { SafeTensor, SafeTensorInput, SafetensorsDtype, SafetensorsFile } from "./io/safetensors";
export { parseIdx, parseIdxAsync, gunzip, isGzip } from "./data/idx";
export type { IdxArray } from "./data/idx";
export { batchStream, batchesPerEpoch, chunks, gatherImages, heldOutSplit, imageBytes, shuffledIndices, subset } from "./data/batches";
export type { Batch, BatchPosition, BatchStreamOptions, HeldOutSplit } from "./data/batches";
export { resizeBilinear } from "./data/resize";
export type { ImageSet, LabelledImageSet } from "./data/types";
export { emaBlend, emaBlendMany, EmaBuffers } from "../bindings/ema";
export { cosineLoss, byolLoss } from "../bindings/loss";
export type { CosineLossResult, ByolLossResult } from "../bindings/loss";
export { byolLossTensor, normalizedCosineLossTf } from "./loss";
export type { ByolLossTensorOptions, LossImpl } from "./loss";
