// Augmentation: policies (presets, overrides) and the per-sample augmenter.
export { Augmenter, createAugmenter } from "./augmenter";
export type { AugmentBatch, AugmentFn, AugmentedViews, AugmenterOptions, ViewsOptions } from "./augmenter";
export { autoKernelSize, byolPaper, byolPytorch, colorJitter, FASHION_MNIST_STATS, IMAGENET_STATS, resolveViewPolicy } from "./policy";
export type { PolicyOverrides, PolicyPair, PolicySizes, ViewOverrides, ViewPolicy } from "./policy";
export type { ImageShape, JitterOp, KernelViewPolicy, SampleParams } from "../../bindings/augment";
