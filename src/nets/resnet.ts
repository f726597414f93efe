// ResNet-18/34/50 as tfjs LayersModels with torchvision's structure and layer names, so that
// `hiddenLayer: 'avgpool'` means what it means in byol-pytorch and torchvision checkpoints load.
import * as tf from "../tf";
import { basicBlock, bottleneck, type BlockType } from "./blocks";
import { batchNorm, conv2d, linear, maxPoolAfterRelu, relu, seeder } from "./layers";

/** Options of {@link resnet18}, {@link resnet34}, {@link resnet50}. */
export interface ResNetOptions {
  /** Side of the square input images, in pixels. */
  inputSize: number;
  /** Input channels: 1 (greyscale) or 3; default 3. */
  channels?: number;
  /**
   * `'imagenet'`: 7×7 stride-2 conv and 3×3 stride-2 max-pool (torchvision). `'cifar'`: 3×3
   * stride-1 conv, no max-pool. Default: `'cifar'` when `inputSize ≤ 64`.
   */
  stem?: "imagenet" | "cifar";
  /** Channels of the first stage (doubling per stage); default 64 (torchvision). */
  width?: number;
  /** Adds the classifier `fc` (output [N, numClasses]) after `avgpool` when given. */
  numClasses?: number;
  /**
   * torchvision's `zero_init_residual`: each block's last BatchNorm starts with γ = 0, so every
   * residual block begins as its shortcut (as SimSiam, MoCo v3 and BYOL's own ResNet-50 train).
   * Default false, as torchvision.
   */
  zeroInitResidual?: boolean;
  /** Seed for the weight initialization (default: tfjs' own randomness). */
  seed?: number;
  /** Model name; default `resnet<depth>`. */
  name?: string;
}

/** Supported depths: BasicBlock (18, 34) and Bottleneck (50). */
export type ResNetDepth = 18 | 34 | 50;

const ARCH: Record<ResNetDepth, { blocks: number[]; block: BlockType }> = {
  18: { blocks: [2, 2, 2, 2], block: basicBlock },
  34: { blocks: [3, 4, 6, 3], block: basicBlock },
  50: { blocks: [3, 4, 6, 3], block: bottleneck },
};

function positiveInt(value: unknown, what: string): number {
  if (!(typeof value === "number" && Number.isInteger(value) && value > 0)) throw new Error(`resnet: ${what} must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * A torchvision ResNet of the given depth. The output is the `avgpool` layer ([N, C] features,
 * C = 8·width for 18/34, 32·width for 50), or `fc` when `numClasses` is given. Input NHWC
 * [N, inputSize, inputSize, channels]. BatchNorm layers follow PyTorch in training mode
 * (`model.apply(x, {training: true})`).
 */
export function resnet(depth: ResNetDepth, options: ResNetOptions): tf.LayersModel {
  const arch = ARCH[depth];
  if (!arch) throw new Error(`resnet: depth ${depth} is not one of ${Object.keys(ARCH).join(", ")}`);
  if (options == null) throw new Error("resnet: options with at least { inputSize } are required");
  const inputSize = positiveInt(options.inputSize, "inputSize");
  const channels = positiveInt(options.channels ?? 3, "channels");
  const width = positiveInt(options.width ?? 64, "width");
  const stem = options.stem ?? (inputSize <= 64 ? "cifar" : "imagenet");
  if (stem !== "imagenet" && stem !== "cifar") throw new Error(`resnet: stem must be 'imagenet' or 'cifar', got ${JSON.stringify(stem)}`);
  if (options.numClasses !== undefined) positiveInt(options.numClasses, "numClasses");
  const seed = seeder(options.seed);
  const zeroInitResidual = options.zeroInitResidual ?? false;
  if (typeof zeroInitResidual !== "boolean") throw new Error(`resnet: zeroInitResidual must be true or false, got ${JSON.stringify(zeroInitResidual)}`);

  const input = tf.input({ shape: [inputSize, inputSize, channels], name: "input" });
  let x = conv2d(input, { filters: width, kernel: stem === "imagenet" ? 7 : 3, stride: stem === "imagenet" ? 2 : 1, name: "conv1", seed });
  x = relu(batchNorm(x, "bn1"), "relu");
  if (stem === "imagenet") x = maxPoolAfterRelu(x, "maxpool");
  arch.blocks.forEach((count, stage) => {
    for (let b = 0; b < count; b++) {
      const stride = stage > 0 && b === 0 ? 2 : 1;
      x = arch.block(x, { planes: width * 2 ** stage, stride, name: `layer${stage + 1}.${b}`, seed, zeroInitResidual });
    }
  });
  let out = tf.layers.globalAveragePooling2d({ name: "avgpool" }).apply(x) as tf.SymbolicTensor;
  if (options.numClasses !== undefined) out = linear(out, { units: options.numClasses, name: "fc", seed });
  return tf.model({ inputs: input, outputs: out, name: options.name ?? `resnet${depth}` });
}

/** ResNet-18 (BasicBlock, [2, 2, 2, 2]); see {@link resnet}. */
export const resnet18 = (options: ResNetOptions): tf.LayersModel => resnet(18, options);
/** ResNet-34 (BasicBlock, [3, 4, 6, 3]); see {@link resnet}. */
export const resnet34 = (options: ResNetOptions): tf.LayersModel => resnet(34, options);
/** ResNet-50 (Bottleneck, [3, 4, 6, 3]); see {@link resnet}. */
export const resnet50 = (options: ResNetOptions): tf.LayersModel => resnet(50, options);

/** A tensor as far as its shape goes (a safetensors entry, say). */
type Shaped = { shape: number[] };

/**
 * Reads a torchvision-layout ResNet's architecture from its state dict: depth (block counts and
 * type), width and input channels (`conv1`), stem (7×7 or 3×3 `conv1`), classifier (`fc`).
 * `inputSize` is yours to add. Throws when the names are not a ResNet-18/34/50's.
 */
export function inferResnetOptions(tensors: Record<string, Shaped>, prefix = ""): { depth: ResNetDepth; options: Omit<ResNetOptions, "inputSize"> } {
  const conv1 = tensors[`${prefix}conv1.weight`];
  if (!conv1 || conv1.shape.length !== 4) throw new Error(`inferResnetOptions: no 4-D '${prefix}conv1.weight' among the tensors: not a torchvision ResNet state dict (wrong prefix?)`);
  const [width, channels, k] = conv1.shape;
  const blocks = [1, 2, 3, 4].map((stage) => {
    let n = 0;
    while (tensors[`${prefix}layer${stage}.${n}.conv1.weight`]) n++;
    return n;
  });
  const bottleneckBlocks = tensors[`${prefix}layer1.0.conv3.weight`] !== undefined;
  const depth = (Object.keys(ARCH).map(Number) as ResNetDepth[]).find(
    (d) => ARCH[d].blocks.join() === blocks.join() && (ARCH[d].block === bottleneck) === bottleneckBlocks,
  );
  if (depth === undefined) throw new Error(`inferResnetOptions: blocks per stage [${blocks}] (${bottleneckBlocks ? "Bottleneck" : "BasicBlock"}) match no ResNet-18/34/50`);
  if (k !== 7 && k !== 3) throw new Error(`inferResnetOptions: conv1 kernel ${k}×${k} is neither the imagenet (7×7) nor the cifar (3×3) stem`);
  const fc = tensors[`${prefix}fc.weight`];
  return { depth, options: { width, channels, stem: k === 7 ? "imagenet" : "cifar", ...(fc ? { numClasses: fc.shape[0] } : {}) } };
}
