// PyTorch-equivalent building layers for the functional tfjs API: torchvision padding and
// initialization, PyTorch BatchNorm. Shared by the ResNets, the small CNN and the MLP heads.
import * as tf from "../tf";
import { BatchNorm } from "./batchnorm";
import { TorchConv2d } from "./torch-conv";

type Sym = tf.SymbolicTensor;

/** Draws distinct initializer seeds from one base seed (undefined: tfjs' own randomness). */
export type Seeder = () => number | undefined;

/** A {@link Seeder} counting up from `seed + 1` (tfjs initializers read seed 0 as "unseeded"). */
export function seeder(seed?: number): Seeder {
  let k = 0;
  return () => (seed === undefined ? undefined : seed + 1 + 7919 * k++);
}

const apply = (layer: tf.layers.Layer, x: Sym): Sym => layer.apply(x) as Sym;

/**
 * `nn.Conv2d(c, filters, kernel, stride, padding=(kernel−1)/2, bias=False)`, padded symmetrically
 * at any stride ({@link TorchConv2d}). Init: torchvision's ResNet init, normal with std
 * √(2/fan_out) (tfjs truncates at 2σ).
 */
export function conv2d(x: Sym, o: { filters: number; kernel: number; stride: number; name: string; seed: Seeder }): Sym {
  const kernelInitializer = tf.initializers.varianceScaling({ scale: 2, mode: "fanOut", distribution: "normal", seed: o.seed() });
  return apply(new TorchConv2d({ filters: o.filters, kernelSize: o.kernel, strides: o.stride, kernelInitializer, name: o.name }), x);
}

/**
 * `nn.Linear(in, units, bias)` with PyTorch's default init: weight and bias U(±1/√in).
 */
export function linear(x: Sym, o: { units: number; name: string; seed: Seeder; bias?: boolean }): Sym {
  const fanIn = x.shape[x.shape.length - 1] as number;
  const bound = 1 / Math.sqrt(fanIn);
  const kernelInitializer = tf.initializers.varianceScaling({ scale: 1 / 3, mode: "fanIn", distribution: "uniform", seed: o.seed() });
  const biasInitializer = tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: o.seed() });
  return apply(tf.layers.dense({ units: o.units, useBias: o.bias ?? true, kernelInitializer, biasInitializer, name: o.name }), x);
}

/**
 * `nn.BatchNorm{1,2}d` (eps 1e-5, momentum 0.1); `affine: false` drops γ and β; `zeroGamma`
 * starts γ at 0 (torchvision's `zero_init_residual` for a block's last BN).
 */
export function batchNorm(x: Sym, name: string, affine = true, zeroGamma = false): Sym {
  return apply(new BatchNorm({ name, center: affine, scale: affine, zeroGamma }), x);
}

/** `nn.ReLU`. */
export function relu(x: Sym, name: string): Sym {
  return apply(tf.layers.reLU({ name }), x);
}

/**
 * `nn.MaxPool2d(3, 2, padding=1)` after a ReLU. PyTorch pads max-pool with −∞; zero padding is
 * exact here because every window holds at least one real input and those are ≥ 0 after the
 * ReLU. Gradients agree too: a tie between a zero pad and a real zero can only steal gradient
 * from an element whose ReLU gradient is already 0.
 */
export function maxPoolAfterRelu(x: Sym, name: string): Sym {
  const padded = apply(tf.layers.zeroPadding2d({ padding: [[1, 1], [1, 1]], name: `${name}.pad` }), x);
  return apply(tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "valid", name }), padded);
}
