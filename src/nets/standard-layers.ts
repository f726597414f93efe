// A copy of a network built from tfjs' own layers only, so that its saved files load with plain
// `tf.loadLayersModel` in a program that has never registered byol-ts' layer classes.
//
// byol-ts' BatchNorm (class TorchBatchNorm) becomes tfjs' BatchNormalization with the same γ, β,
// running mean and variance and ε. Both compute the same affine map at inference,
// (x − mean)·γ/√(var + ε) + β, so the outputs agree to float rounding, and the weights keep their
// names and meaning (torchvision's BN parameters, one to one). Folding BN into the preceding
// convolution would also work, but would rewrite the conv weights (and give them a bias they do
// not have in torchvision), and assumes every BN follows a conv. Only inference matches: in
// training mode tfjs' layer moves the running variance towards the biased batch variance.
import * as tf from "../tf";
import { BatchNorm } from "./batchnorm";

type LayerEntry = { class_name: string; name: string; config: tf.serialization.ConfigDict };

/** BatchNormalization's serialized config equivalent at inference to a TorchBatchNorm's. */
function standardBatchNorm(config: tf.serialization.ConfigDict): tf.serialization.ConfigDict {
  const { name, trainable, momentum, epsilon, center, scale } = config;
  return { name, trainable, axis: -1, momentum, epsilon, center, scale };
}

/**
 * `model` rebuilt with tfjs' BatchNormalization in place of byol-ts' BatchNorm, with copies of its
 * weights (by name; the two models share no variables). Other layers are kept as they are; they
 * must be tfjs' own.
 */
export async function withStandardLayers(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topology = model.toJSON(null, false) as tf.serialization.ConfigDict;
  const layers = (topology.config as { layers: LayerEntry[] }).layers;
  for (const layer of layers) {
    if (layer.class_name !== BatchNorm.className) continue;
    layer.class_name = "BatchNormalization";
    layer.config = standardBatchNorm(layer.config);
  }
  const copy = await tf.models.modelFromJSON({ modelTopology: topology });
  const source = new Map(model.weights.map((w) => [w.originalName, w]));
  const missing = copy.weights.filter((w) => !source.has(w.originalName)).map((w) => w.originalName);
  if (missing.length) throw new Error(`withStandardLayers: model '${model.name}' has no weights ${missing.join(", ")} for its standard copy`);
  copy.setWeights(copy.weights.map((w) => source.get(w.originalName)!.read()));
  return copy;
}
