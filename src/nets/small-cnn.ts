// A small CNN encoder for quick runs and tests: three conv-BN-ReLU stages, then global average
// pooling ('avgpool'), the same interface as the ResNets.
import * as tf from "@tensorflow/tfjs";
import { batchNorm, conv2d, relu, seeder } from "./layers";

/** Options of {@link smallCnn}. */
export interface SmallCnnOptions {
  /** Side of the square input images, in pixels. */
  inputSize: number;
  /** Input channels; default 1. */
  channels?: number;
  /** Channels of the first stage (×2 and ×4 after); default 16. Features: 4·width. */
  width?: number;
  seed?: number;
  name?: string;
}

/**
 * conv3×3(width) → BN → ReLU → conv3×3/2(2w) → BN → ReLU → conv3×3/2(4w) → BN → ReLU → avgpool.
 * Layers `conv1..3`, `bn1..3`, `avgpool`; output [N, 4·width].
 */
export function smallCnn(options: SmallCnnOptions): tf.LayersModel {
  const { inputSize, channels = 1, width = 16 } = options ?? ({} as SmallCnnOptions);
  for (const [k, v] of Object.entries({ inputSize, channels, width })) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`smallCnn: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const seed = seeder(options.seed);
  const input = tf.input({ shape: [inputSize, inputSize, channels], name: "input" });
  let x = input;
  [1, 2, 4].forEach((mult, i) => {
    const n = i + 1;
    x = conv2d(x, { filters: width * mult, kernel: 3, stride: i === 0 ? 1 : 2, name: `conv${n}`, seed });
    x = relu(batchNorm(x, `bn${n}`), `relu${n}`);
  });
  const out = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? "small_cnn" });
}
