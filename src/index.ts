// byol-ts core (universal: browser and Node): the methods, the Trainer, encoders, augmentation
// policies, the backend and checkpoints. The other tiers: `byol-ts/eval` (scoring and inspecting
// representations), `byol-ts/io` (data and weights in and out), `byol-ts/kernels` (the raw wasm
// kernels), `byol-ts/node` (files; re-exports this core) and `byol-ts/worker`.
export { BYOL } from "./byol";
export type { BYOLOptions, BYOLSettings, LearnerNetworks } from "./byol";
export { VICReg } from "./methods/vicreg";
export type { VICRegOptions, VICRegSettings, VICRegWeights } from "./methods/vicreg";
export type { EmbedOptions, Gradients, Learner, LearnerSettings, MethodName } from "./learner";
export type { LearnerOptions } from "./two-view-learner";
export type { OptimizerConfig } from "./train/optimizers";
export { Trainer } from "./train/trainer";
export type { StepPhases, TrainerOptions, TrainerState, TrainStep } from "./train/trainer";
export { buildEncoder, buildLearner, createTrainer, METHODS } from "./train/setup";
export { DEFAULT_RUN } from "./train/config";
export type { EncoderArch, RunConfig } from "./train/config";
export { resnet, resnet18, resnet34, resnet50, smallCnn, mlpHead } from "./nets";
export type { ResNetOptions, ResNetDepth, SmallCnnOptions, HeadOptions, HiddenLayer } from "./nets";
export { byolPaper, byolPytorch, colorJitter, createAugmenter, FASHION_MNIST_STATS, IMAGENET_STATS } from "./augment";
export type { Augmenter, AugmentBatch, AugmentFn, AugmentedViews, AugmenterOptions, ViewsOptions, PolicyOverrides, PolicyPair, ViewOverrides, ViewPolicy } from "./augment";
export { setBackend } from "./backend";
export type { BackendInfo, BackendName, SetBackendOptions } from "./backend";
export { readCheckpointInfo, restoreCheckpoint, serializeCheckpoint } from "./train/checkpoint";
export type { CheckpointInfo } from "./train/checkpoint";
export type { ImageSet, LabelledImageSet } from "./data/types";
