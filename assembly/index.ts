// One module, every kernel. Built with imported memory, no data segments and no allocator,
// so the same bytes can run on our own memory or in place on tfjs-wasm's memory.
export * from "./ema";
export * from "./loss";
export * from "./conv_grad";
export * from "./augment";
export * from "./reduce";
export * from "./pool_grad";
export * from "./conv_forward";
export * from "./copy_rows";
export * from "./batchnorm";
export * from "./gemm";
