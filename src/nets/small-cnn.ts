// A small CNN encoder for quick runs and tests: three conv-BN-ReLU stages, then global average
// pooling ('avgpool'), the same interface as the ResNets.
import * as tf from "../tf";
import { batchNorm, conv2d, relu, seeder } from "./layers";

/** Options of {@link smallCnn}. */
export interface SmallCnnOptions {
  /** Side of the square input images, in pixels. */
  inputSize: number;
  /** Input channels; default 1. */
  channels?: number;
  /** Channels of the first stage (×2 and ×4 after); default 16. Features: 4·width. */
  width?: number;
  /** Convolutions in each downsampled stage (the first strided, the rest 3×3 stride 1); default 1. */
  depth?: number;
  /** Downsampled stages after the first convolution, each halving the side and doubling the channels; default 2 (28 → 7 px). */
  stages?: number;
  seed?: number;
  name?: string;
}

/**
 * conv3×3(width) → BN → ReLU → conv3×3/2(2w) → BN → ReLU → conv3×3/2(4w) → BN → ReLU → avgpool
 * (`stages` 2), with `depth − 1` more conv3×3-BN-ReLU after each strided one. Layers `conv1..n`,
 * `bn1..n`, `avgpool`; output [N, 2^stages · width].
 */
export function smallCnn(options: SmallCnnOptions): tf.LayersModel {
  const { inputSize, channels = 1, width = 16, depth = 1, stages = 2 } = options ?? ({} as SmallCnnOptions);
  for (const [k, v] of Object.entries({ inputSize, channels, width, depth, stages })) {
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`smallCnn: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  const seed = seeder(options.seed);
  const input = tf.input({ shape: [inputSize, inputSize, channels], name: "input" });
  let x = input;
  const convs = [{ mult: 1, stride: 1 }, ...Array.from({ length: stages }, (_, i) => 2 ** (i + 1)).flatMap((mult) => Array.from({ length: depth }, (_, j) => ({ mult, stride: j === 0 ? 2 : 1 })))];
  convs.forEach(({ mult, stride }, i) => {
    const n = i + 1;
    x = conv2d(x, { filters: width * mult, kernel: 3, stride, name: `conv${n}`, seed });
    x = relu(batchNorm(x, `bn${n}`), `relu${n}`);
  });
  const out = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: options.name ?? "small_cnn" });
}
