// A copy of a network built from tfjs' own layers only, so that its saved files load with plain
// `tf.loadLayersModel` in a program that has never registered byol-ts' layer classes.
//
// byol-ts' TorchConv2d becomes tfjs' Conv2D: with 'same' padding where that is symmetric (stride 1,
// or no padding), else after a ZeroPadding2D layer `<name>.pad` with 'valid' — the same numbers.
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
import { TorchConv2d } from "./torch-conv";

type LayerEntry = { class_name: string; name: string; config: tf.serialization.ConfigDict; inbound_nodes: unknown[] };

/** Conv2D's serialized config (and a padding layer, when needed) equivalent to a TorchConv2d's. */
function standardConv(layer: LayerEntry): LayerEntry[] {
  const { name, trainable, filters, kernel_size: k, strides: s } = layer.config as { name: string; trainable: boolean; filters: number; kernel_size: number; strides: number };
  const p = (k - 1) / 2;
  const explicit = p > 0 && s > 1;
  const conv: LayerEntry = {
    class_name: "Conv2D",
    name,
    config: { name, trainable, filters, kernel_size: [k, k], strides: [s, s], padding: p > 0 && !explicit ? "same" : "valid", data_format: "channels_last", dilation_rate: [1, 1], activation: "linear", use_bias: false },
    inbound_nodes: layer.inbound_nodes,
  };
  if (!explicit) return [conv];
  const pad = `${name}.pad`;
  const padding: LayerEntry = { class_name: "ZeroPadding2D", name: pad, config: { name: pad, padding: [[p, p], [p, p]], data_format: "channels_last", trainable }, inbound_nodes: layer.inbound_nodes };
  return [padding, { ...conv, inbound_nodes: [[[pad, 0, 0, {}]]] }];
}

/** BatchNormalization's serialized config equivalent at inference to a TorchBatchNorm's. */
function standardBatchNorm(config: tf.serialization.ConfigDict): tf.serialization.ConfigDict {
  const { name, trainable, momentum, epsilon, center, scale } = config;
  return { name, trainable, axis: -1, momentum, epsilon, center, scale };
}

/**
 * `model` rebuilt with tfjs' BatchNormalization and Conv2D in place of byol-ts' BatchNorm and
 * TorchConv2d, with copies of its weights (by name; the two models share no variables). Other layers are kept as they are; they
 * must be tfjs' own.
 */
export async function withStandardLayers(model: tf.LayersModel): Promise<tf.LayersModel> {
  const topology = model.toJSON(null, false) as tf.serialization.ConfigDict;
  const config = topology.config as { layers: LayerEntry[] };
  config.layers = config.layers.flatMap((layer) => {
    if (layer.class_name === TorchConv2d.className) return standardConv(layer);
    if (layer.class_name === BatchNorm.className) return [{ ...layer, class_name: "BatchNormalization", config: standardBatchNorm(layer.config) }];
    return [layer];
  });
  const copy = await tf.models.modelFromJSON({ modelTopology: topology });
  const source = new Map(model.weights.map((w) => [w.originalName, w]));
  const missing = copy.weights.filter((w) => !source.has(w.originalName)).map((w) => w.originalName);
  if (missing.length) throw new Error(`withStandardLayers: model '${model.name}' has no weights ${missing.join(", ")} for its standard copy`);
  copy.setWeights(copy.weights.map((w) => source.get(w.originalName)!.read()));
  return copy;
}
