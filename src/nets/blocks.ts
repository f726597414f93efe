// torchvision's residual blocks (BasicBlock for ResNet-18/34, Bottleneck v1.5 for ResNet-50),
// with its module names: `<name>.conv1`, `<name>.bn1`, ..., `<name>.downsample.{0,1}`.
import * as tf from "../tf";
import { batchNorm, conv2d, relu, type Seeder } from "./layers";

type Sym = tf.SymbolicTensor;

/** What a block needs: its input, output planes, stride, module name and initializer seeds. */
export interface BlockArgs {
  planes: number;
  stride: number;
  name: string;
  seed: Seeder;
  /** Start the residual branch's last BN γ at 0, so the block begins as its shortcut. */
  zeroInitResidual: boolean;
}

/** A residual block: maps its input to its output; `expansion` = output channels / planes. */
export interface BlockType {
  (x: Sym, o: BlockArgs): Sym;
  expansion: number;
}

/** 1×1 conv + BN on the shortcut when the shape changes (torchvision's condition). */
function shortcut(x: Sym, outChannels: number, o: BlockArgs): Sym {
  const inChannels = x.shape[3] as number;
  if (o.stride === 1 && inChannels === outChannels) return x;
  const c = conv2d(x, { filters: outChannels, kernel: 1, stride: o.stride, name: `${o.name}.downsample.0`, seed: o.seed });
  return batchNorm(c, `${o.name}.downsample.1`);
}

/** relu(main + shortcut): the block's merge. */
function merge(main: Sym, identity: Sym, name: string): Sym {
  const sum = tf.layers.add({ name: `${name}.add` }).apply([main, identity]) as Sym;
  return relu(sum, `${name}.relu`);
}

/** conv3×3(stride) → BN → ReLU → conv3×3 → BN, plus the shortcut, then ReLU. */
export const basicBlock: BlockType = Object.assign(
  (x: Sym, o: BlockArgs): Sym => {
    const { name, seed } = o;
    let y = conv2d(x, { filters: o.planes, kernel: 3, stride: o.stride, name: `${name}.conv1`, seed });
    y = relu(batchNorm(y, `${name}.bn1`), `${name}.relu1`);
    y = conv2d(y, { filters: o.planes, kernel: 3, stride: 1, name: `${name}.conv2`, seed });
    y = batchNorm(y, `${name}.bn2`, true, o.zeroInitResidual);
    return merge(y, shortcut(x, o.planes, o), name);
  },
  { expansion: 1 },
);

/** conv1×1 → BN → ReLU → conv3×3(stride) → BN → ReLU → conv1×1(4·planes) → BN, plus shortcut. */
export const bottleneck: BlockType = Object.assign(
  (x: Sym, o: BlockArgs): Sym => {
    const { name, seed } = o;
    let y = conv2d(x, { filters: o.planes, kernel: 1, stride: 1, name: `${name}.conv1`, seed });
    y = relu(batchNorm(y, `${name}.bn1`), `${name}.relu1`);
    y = conv2d(y, { filters: o.planes, kernel: 3, stride: o.stride, name: `${name}.conv2`, seed });
    y = relu(batchNorm(y, `${name}.bn2`), `${name}.relu2`);
    y = conv2d(y, { filters: o.planes * 4, kernel: 1, stride: 1, name: `${name}.conv3`, seed });
    y = batchNorm(y, `${name}.bn3`, true, o.zeroInitResidual);
    return merge(y, shortcut(x, o.planes * 4, o), name);
  },
  { expansion: 4 },
);
