// The networks: encoders (ResNets, small CNN), heads, the representation tap, PyTorch BatchNorm.
export { resnet, resnet18, resnet34, resnet50, inferResnetOptions } from "./resnet";
export type { ResNetOptions, ResNetDepth } from "./resnet";
export { smallCnn } from "./small-cnn";
export type { SmallCnnOptions } from "./small-cnn";
export { mlpHead, simsiamProjector, vicregExpander } from "./mlp";
export type { HeadOptions } from "./mlp";
export { representationModel, encoderOutputSize } from "./tap";
export type { HiddenLayer, EncoderFn } from "./tap";
export { BatchNorm } from "./batchnorm";
export type { BatchNormArgs } from "./batchnorm";
