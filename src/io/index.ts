// byol-ts/io: data and weights in and out — safetensors, IDX datasets, torchvision ResNet weights,
// image sets from RGBA pixels, resizing, and subsets of an image set.
export { parseSafetensors, readSafetensors, writeSafetensors } from "./safetensors";
export type { SafeTensor, SafeTensorInput, SafetensorsDtype, SafetensorsFile } from "./safetensors";
export { loadTorchvisionWeights, exportTorchvisionWeights } from "./torchvision";
export type { LoadTorchvisionOptions, ExportTorchvisionOptions } from "./torchvision";
export { inferResnetOptions } from "../nets/resnet";
export { parseIdx, parseIdxAsync } from "../data/idx";
export type { IdxArray } from "../data/idx";
export { imageSetFromRgba, rgbaOfImage } from "../data/rgba";
export type { RgbaImage, RgbaSetOptions } from "../data/rgba";
export { resizeBilinear } from "../data/resize";
export { resizeArea } from "../data/resize-area";
export { gatherImages, heldOutSplit, subset } from "../data/batches";
export type { HeldOutSplit } from "../data/batches";
export type { ImageSet, LabelledImageSet } from "../data/types";
