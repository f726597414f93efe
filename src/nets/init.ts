// Seeded initialization with PyTorch's conventions, so one seed fixes a model's starting point:
// convolutions kaiming-normal (fan_out, ReLU) as torchvision's ResNet; linear layers as
// torch.nn.Linear (U(±1/√fan_in) for weight and bias); BatchNorm γ = 1, β = 0, statistics 0 / 1.
import * as tf from "@tensorflow/tfjs";
import { deriveSeed, normalArray, uniformArray, uniformGenerator } from "../util/random";

/**
 * Re-initializes every weight of `model` deterministically from `seed`. Weights of layer types it
 * does not know keep their values (their own initializers).
 */
export function initializeLikeTorch(model: tf.LayersModel, seed: number): void {
  let stream = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const next = uniformGenerator(deriveSeed(seed, stream++));
    const values = weights.map((w) => {
      const shape = w.shape as number[];
      const n = shape.reduce((a, b) => a * b, 1);
      const local = w.originalName.slice(w.originalName.lastIndexOf("/") + 1);
      if (cls === "Conv2D" && local === "kernel") {
        const [kh, kw, , out] = shape;
        return normalArray(n, Math.sqrt(2 / (kh * kw * out)), next);
      }
      if (cls === "Dense") return uniformArray(n, 1 / Math.sqrt(weights[0].shape[0] as number), next);
      if (/BatchNorm/i.test(cls)) return new Float32Array(n).fill(local === "gamma" || /variance/i.test(local) ? 1 : 0);
      return null;
    });
    if (values.every((v) => v === null)) continue;
    const tensors = weights.map((w, i) => (values[i] ? tf.tensor(values[i]!, w.shape as number[]) : w.read().clone()));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
}
