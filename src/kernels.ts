// byol-ts/kernels: the AssemblyScript wasm kernels on plain arrays (the moving average and the
// losses), the build in use, and the loss as a tfjs op calling them.
export { enableRelaxedSimd, initKernels, KERNEL_BUILDS, kernelBuild, relaxedSimdSupported, simdSupported } from "../bindings/loader";
export type { InitKernelsOptions, KernelBuild } from "../bindings/loader";
export { emaBlend, emaBlendMany, EmaBuffers } from "../bindings/ema";
export { cosineLoss, byolLoss } from "../bindings/loss";
export type { CosineLossResult, ByolLossResult } from "../bindings/loss";
export { byolLossTensor } from "./loss";
export type { ByolLossTensorOptions, LossImpl } from "./loss";
