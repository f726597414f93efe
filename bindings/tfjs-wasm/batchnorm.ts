// Training-mode BatchNorm as two kernels of our own on tfjs-wasm (assembly/batchnorm.ts): the
// forward (statistics, normalization, γ and β) and its gradient, a few passes over the
// activations each instead of ~25 elementwise tfjs kernels. They have names of their own, not
// tfjs': `normalizeBatch` (src/nets/batchnorm.ts) runs them where they are registered and tfjs
// ops elsewhere.
import { util, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { bridgeFor, type WasmBackendLike } from "./bridge";

/** Inputs x, gamma?, beta?; attr epsilon. Outputs y, mean, variance (biased), invstd. */
export const BATCH_NORM_TRAIN = "ByolBatchNormTrain";
/** Inputs dy, x, mean, invstd, gamma?. Outputs dx, dgamma, dbeta. */
export const BATCH_NORM_GRAD = "ByolBatchNormGrad";

interface Exports {
  batchnorm_scratch(c: number): number;
  batchnorm_forward(x: number, gamma: number, beta: number, y: number, mean: number, variance: number, invstd: number,
    scratch: number, rows: number, c: number, eps: number, affine: number): void;
  batchnorm_backward(dy: number, x: number, mean: number, invstd: number, gamma: number, dx: number, dgamma: number,
    dbeta: number, scratch: number, rows: number, c: number, affine: number): void;
}

type Inputs = Record<string, TensorInfo | undefined>;

/** [rows, channels] of a float32 tensor normalized over all axes but the last. */
function geometry(kernel: string, x: TensorInfo | undefined, inputs: Inputs): [number, number] {
  if (!x || x.shape.length < 2) throw new Error(`byol-ts wasm ${kernel}: needs an input of rank ≥ 2, got [${x?.shape}]`);
  const c = x.shape[x.shape.length - 1];
  for (const [name, t] of Object.entries(inputs)) {
    if (!t) continue;
    if (t.dtype !== "float32") throw new Error(`byol-ts wasm ${kernel}: ${name} is ${t.dtype}, not float32`);
    const want = t.shape.length === 1 ? [c] : x.shape;
    if (!util.arraysEqual(t.shape, want)) throw new Error(`byol-ts wasm ${kernel}: ${name} has shape [${t.shape}], expected [${want}]`);
  }
  return [util.sizeFromShape(x.shape) / c, c];
}

const forward: KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, gamma, beta } = inputs as Inputs;
  const [rows, c] = geometry(BATCH_NORM_TRAIN, x, inputs as Inputs);
  const bridge = bridgeFor(backend as unknown as WasmBackendLike);
  const k = bridge.exports as unknown as Exports;
  const scratch = bridge.scratch(k.batchnorm_scratch(c));
  const [y, mean, variance, invstd] = [x!.shape, [c], [c], [c]].map((shape) => bridge.output(shape));
  k.batchnorm_forward(bridge.ptr(x!), gamma ? bridge.ptr(gamma) : 0, beta ? bridge.ptr(beta) : 0, y.ptr, mean.ptr, variance.ptr, invstd.ptr,
    scratch, rows, c, (attrs as unknown as { epsilon: number }).epsilon, (gamma ? 1 : 0) | (beta ? 2 : 0));
  return [y.info, mean.info, variance.info, invstd.info];
};

const gradient: KernelFunc = ({ inputs, backend }) => {
  const { dy, x, mean, invstd, gamma } = inputs as Inputs;
  const [rows, c] = geometry(BATCH_NORM_GRAD, x, inputs as Inputs);
  if (!dy || !mean || !invstd) throw new Error(`byol-ts wasm ${BATCH_NORM_GRAD}: needs dy, x, mean and invstd`);
  const bridge = bridgeFor(backend as unknown as WasmBackendLike);
  const k = bridge.exports as unknown as Exports;
  const scratch = bridge.scratch(k.batchnorm_scratch(c));
  const [dx, dgamma, dbeta] = [x!.shape, [c], [c]].map((shape) => bridge.output(shape));
  k.batchnorm_backward(bridge.ptr(dy), bridge.ptr(x!), bridge.ptr(mean), bridge.ptr(invstd), gamma ? bridge.ptr(gamma) : 0,
    dx.ptr, dgamma.ptr, dbeta.ptr, scratch, rows, c, gamma ? 1 : 0);
  return [dx.info, dgamma.info, dbeta.info];
};

/** Register with `tf.registerKernel`. */
export const batchNormTrainConfig: KernelConfig = { kernelName: BATCH_NORM_TRAIN, backendName: "wasm", kernelFunc: forward };
export const batchNormGradConfig: KernelConfig = { kernelName: BATCH_NORM_GRAD, backendName: "wasm", kernelFunc: gradient };
