// The representation tap: which activation of an encoder is the representation y
// (byol-pytorch's `hidden_layer`), and how wide it is.
import * as tf from "../tf";

/** A layer name, or an index into `model.layers` (negative counts from the end, as in Python). */
export type HiddenLayer = string | number;

/** An encoder given as a function of an NHWC batch; `outputSize` spares a probing call. */
export type EncoderFn = ((x: tf.Tensor) => tf.Tensor) & { outputSize?: number };

function resolveLayer(model: tf.LayersModel, hiddenLayer: HiddenLayer): tf.layers.Layer {
  const layers = model.layers;
  if (typeof hiddenLayer === "string") {
    const found = layers.find((l) => l.name === hiddenLayer);
    if (!found) {
      const names = layers.map((l) => l.name);
      const shown = names.length > 40 ? [...names.slice(0, 20), "…", ...names.slice(-10)] : names;
      throw new Error(`hiddenLayer '${hiddenLayer}' is not a layer of model '${model.name}' (layers: ${shown.join(", ")})`);
    }
    return found;
  }
  if (!Number.isInteger(hiddenLayer)) throw new Error(`hiddenLayer must be a layer name or an integer index, got ${JSON.stringify(hiddenLayer)}`);
  const i = hiddenLayer < 0 ? layers.length + hiddenLayer : hiddenLayer;
  if (i < 0 || i >= layers.length) throw new Error(`hiddenLayer index ${hiddenLayer} is outside model '${model.name}' (${layers.length} layers)`);
  return layers[i];
}

/** The static feature size of a symbolic [N, ...] output: the product of the non-batch dims. */
function staticSize(shape: (number | null)[], what: string): number {
  const dims = shape.slice(1);
  if (dims.some((d) => d == null)) throw new Error(`${what} has output shape [${shape.map(String)}]: the feature size needs fixed dimensions (build the model with a fixed input size)`);
  return (dims as number[]).reduce((a, b) => a * b, 1);
}

/** `gridG`: the last feature map (the input of the encoder's `avgpool`) pooled to a G×G grid. */
const GRID_TAP = /^grid([1-9])$/;

/**
 * The last feature map average-pooled to a g×g grid and flattened ([N, g·g·C]): windows of side
 * H − (g − 1)·⌊H/g⌋ every ⌊H/g⌋ pixels (PyTorch's adaptive pooling where H/g divides, overlapping
 * by a pixel where it does not, e.g. 7 → 3). Keeps the coarse layout a global pool throws away.
 */
function gridTap(model: tf.LayersModel, g: number, name: string): tf.SymbolicTensor {
  const pool = model.layers.find((l) => l.name === "avgpool");
  if (!pool) throw new Error(`hiddenLayer '${name}' pools the feature map under 'avgpool', and model '${model.name}' has no layer 'avgpool'`);
  const map = pool.input as tf.SymbolicTensor;
  const [h, w] = map.shape.slice(1, 3) as number[];
  if (map.shape.length !== 4 || !(h >= g && w >= g)) throw new Error(`hiddenLayer '${name}': the feature map before 'avgpool' is [${map.shape.slice(1)}], too small for a ${g}×${g} grid`);
  const [sh, sw] = [Math.floor(h / g), Math.floor(w / g)];
  const pooled = tf.layers.averagePooling2d({ poolSize: [h - (g - 1) * sh, w - (g - 1) * sw], strides: [sh, sw], padding: "valid", name: `${name}.pool` }).apply(map) as tf.SymbolicTensor;
  return tf.layers.flatten({ name }).apply(pooled) as tf.SymbolicTensor;
}

/**
 * A model sharing `model`'s layers whose output is the `hiddenLayer` activation flattened to
 * [N, F]. Default `-2`, the layer before the last, as byol-pytorch (there that is the ResNet's
 * avgpool; on our encoders without `fc`, name `'avgpool'` explicitly). `'grid2'`, `'grid3'`, …
 * tap the last feature map pooled to a 2×2, 3×3, … grid (see {@link gridTap}). Nothing is run.
 */
export function representationModel(model: tf.LayersModel, hiddenLayer: HiddenLayer = -2): tf.LayersModel {
  const grid = typeof hiddenLayer === "string" ? GRID_TAP.exec(hiddenLayer) : null;
  if (grid) return tf.model({ inputs: model.inputs, outputs: gridTap(model, Number(grid[1]), hiddenLayer as string), name: `${model.name}.${hiddenLayer}` });
  const layer = resolveLayer(model, hiddenLayer);
  if (layer.getClassName() === "InputLayer") throw new Error(`hiddenLayer '${layer.name}' is the input of model '${model.name}', not a representation`);
  let output: tf.SymbolicTensor;
  try {
    output = layer.output as tf.SymbolicTensor;
  } catch (e) {
    throw new Error(`hiddenLayer '${layer.name}' has no single output in model '${model.name}' (${(e as Error).message})`);
  }
  if (Array.isArray(output)) throw new Error(`hiddenLayer '${layer.name}' has ${(output as unknown[]).length} outputs; tap a layer with one`);
  staticSize(output.shape, `hiddenLayer '${layer.name}'`);
  if (output.shape.length > 2) output = tf.layers.flatten({ name: `${layer.name}.flatten` }).apply(output) as tf.SymbolicTensor;
  return tf.model({ inputs: model.inputs, outputs: output, name: `${model.name}.${layer.name}` });
}

/**
 * The feature size F of an encoder's [N, F] output. A LayersModel: from its static output shape.
 * A function: its `outputSize` property, or else one call on a zero batch of 2 of `inputShape`
 * ([H, W, C]); attach `outputSize` when that call must not happen (e.g. it would update
 * BatchNorm statistics).
 */
export function encoderOutputSize(encoder: tf.LayersModel | EncoderFn, inputShape?: number[]): number {
  if (encoder instanceof tf.LayersModel) {
    if (encoder.outputs.length !== 1) throw new Error(`encoder '${encoder.name}' has ${encoder.outputs.length} outputs; tap one with representationModel`);
    return staticSize(encoder.outputs[0].shape, `encoder '${encoder.name}'`);
  }
  if (typeof encoder !== "function") throw new Error(`encoder must be a tfjs LayersModel or a function x → features, got ${typeof encoder}`);
  if (encoder.outputSize !== undefined) {
    if (!(Number.isInteger(encoder.outputSize) && encoder.outputSize > 0)) throw new Error(`encoder function's outputSize must be a positive integer, got ${JSON.stringify(encoder.outputSize)}`);
    return encoder.outputSize;
  }
  if (!inputShape) throw new Error("cannot infer the feature size of an encoder function without inputShape: pass inputShape or set encoder.outputSize");
  const shape = tf.tidy(() => {
    let y: tf.Tensor;
    try {
      y = encoder(tf.zeros([2, ...inputShape]));
    } catch (e) {
      throw new Error(`cannot infer the feature size of the encoder function: it threw on a zero batch of shape [2, ${inputShape}] (${(e as Error).message}); set encoder.outputSize`);
    }
    if (!(y instanceof tf.Tensor)) throw new Error(`the encoder function returned ${typeof y}, not a tensor`);
    return y.shape;
  });
  if (shape.length !== 2 || shape[0] !== 2) throw new Error(`the encoder function maps [2, ${inputShape}] to [${shape}], expected [2, F]: flatten its output`);
  return shape[1];
}
