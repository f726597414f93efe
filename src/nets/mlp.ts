// Projector and predictor heads as standalone LayersModels on [N, inputSize], with layer names
// equal to the torch.nn.Sequential indices ('0', '1', '3', ...), so a checkpoint's
// `online.projector.0.weight` loads with prefix 'online.projector.'.
import * as tf from "../tf";
import { batchNorm, linear, relu, seeder, type Seeder } from "./layers";

/** Sizes of a head; `name` names the tfjs model (its layers are '0', '1', ...). */
export interface HeadOptions {
  inputSize: number;
  hiddenSize: number;
  outputSize: number;
  name?: string;
  /** Seed for the weight initialization (default: tfjs' own randomness). */
  seed?: number;
}

function checkSizes(o: HeadOptions, what: string): void {
  for (const k of ["inputSize", "hiddenSize", "outputSize"] as const) {
    const v = o?.[k];
    if (!(Number.isInteger(v) && v > 0)) throw new Error(`${what}: ${k} must be a positive integer, got ${JSON.stringify(v)}`);
  }
}

/** One Sequential entry: builds its layer named by its index. */
type Stage = (x: tf.SymbolicTensor, name: string, seed: Seeder) => tf.SymbolicTensor;

function sequential(o: HeadOptions, stages: Stage[], defaultName: string): tf.LayersModel {
  const seed = seeder(o.seed);
  const input = tf.input({ shape: [o.inputSize], name: "input" });
  const output = stages.reduce((x, stage, i) => stage(x, String(i), seed), input);
  return tf.model({ inputs: input, outputs: output, name: o.name ?? defaultName });
}

const dense = (units: number, bias = true): Stage => (x, name, seed) => linear(x, { units, name, seed, bias });
const bn = (affine = true): Stage => (x, name) => batchNorm(x, name, affine);
const act: Stage = (x, name) => relu(x, name);

/**
 * BYOL's projector / predictor (byol-pytorch's `MLP`): Linear → BatchNorm1d → ReLU → Linear,
 * layers '0', '1', '2', '3'. Input [N, inputSize], output [N, outputSize].
 */
export function mlpHead(options: HeadOptions): tf.LayersModel {
  checkSizes(options, "mlpHead");
  return sequential(options, [dense(options.hiddenSize), bn(), act, dense(options.outputSize)], "mlp");
}

/**
 * SimSiam's projector (byol-pytorch's `SimSiamMLP`): (Linear → BN → ReLU) × 2 → Linear → BN,
 * linears without bias, the last BN without affine parameters; layers '0' … '7'.
 */
export function simsiamProjector(options: HeadOptions): tf.LayersModel {
  checkSizes(options, "simsiamProjector");
  const h = options.hiddenSize;
  return sequential(options, [dense(h, false), bn(), act, dense(h, false), bn(), act, dense(options.outputSize, false), bn(false)], "simsiam_projector");
}

/**
 * VICReg's expander (Bardes et al. 2022): (Linear → BN → ReLU) × 2 → Linear, layers '0' … '6'.
 * Its output is what VICReg's variance and covariance terms decorrelate, hence its width.
 */
export function vicregExpander(options: HeadOptions): tf.LayersModel {
  checkSizes(options, "vicregExpander");
  const h = options.hiddenSize;
  return sequential(options, [dense(h), bn(), act, dense(h), bn(), act, dense(options.outputSize)], "expander");
}
