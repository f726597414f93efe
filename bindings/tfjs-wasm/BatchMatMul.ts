// BatchMatMul for tfjs-wasm: a single float32 product A·B, A·Bᵀ or Aᵀ·B (the dense layers of the
// projector and predictor, forward and backward) is a 1×1 convolution over M "images", so our
// convolution kernels run it, in place, on helper threads too. tfjs-wasm's own loop took over half
// of a BYOL step with a 4096-wide projector (bench/RESULTS.md). Batched, broadcast or doubly
// transposed products go to tfjs-wasm's kernel, and so does a plain A·B on one thread, where
// tfjs-wasm's is faster (bench/matmul.ts: 21 vs 26 ms at [128,512]·[512,4096]; 19 ms on two).
import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { runConv } from "./conv";
import { runOriginal } from "./originals";
import { kernelHelpers } from "./threads";

const VALID = { strides: 1, pad: "valid", dataFormat: "NHWC" } as const;

/** The same data seen with another shape (our kernels read pointers; shapes are geometry only). */
const as = (t: TensorInfo, shape: number[]): TensorInfo => ({ dataId: t.dataId, dtype: t.dtype, shape });

const batchMatMul: KernelFunc = (args) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const single = (t: TensorInfo) => t.dtype === "float32" && t.shape.length >= 2 && t.shape.slice(0, -2).every((d) => d === 1);
  const plainOnOneThread = !transposeA && !transposeB && kernelHelpers().length === 0;
  if (!single(a) || !single(b) || (transposeA && transposeB) || a.shape.length !== b.shape.length || plainOnOneThread) {
    return runOriginal(BatchMatMul, args) as TensorInfo;
  }
  const [r0, r1] = a.shape.slice(-2);
  const [c0, c1] = b.shape.slice(-2);
  const [m, k] = transposeA ? [r1, r0] : [r0, r1];
  const [k2, n] = transposeB ? [c1, c0] : [c0, c1];
  if (k !== k2) throw new Error(`byol-ts wasm BatchMatMul: inner sizes differ: a [${a.shape}]${transposeA ? "ᵀ" : ""} · b [${b.shape}]${transposeB ? "ᵀ" : ""}`);
  const outShape = [...a.shape.slice(0, -2), m, n];
  const { backend } = args;
  if (transposeA) {
    // Aᵀ·B: the filter gradient of x = A [k images, m channels] against dy = B [k, n]
    return runConv({ kernel: BatchMatMul, symbol: "conv2d_backprop_filter", backend, attrs: VALID, xShape: [k, 1, 1, m],
      filterShape: [1, 1, m, n], dy: as(b, [k, 1, 1, n]), a: as(a, [k, 1, 1, m]), b: as(b, [k, 1, 1, n]), outShape });
  }
  if (transposeB) {
    // A·Bᵀ: the input gradient of dy = A [m images, k channels] through the filter B [n in, k out]
    return runConv({ kernel: BatchMatMul, symbol: "conv2d_backprop_input", backend, attrs: VALID, xShape: [m, 1, 1, n],
      filterShape: [1, 1, n, k], dy: as(a, [m, 1, 1, k]), a: as(a, [m, 1, 1, k]), b: as(b, [1, 1, n, k]), outShape });
  }
  // A·B: the forward convolution of x = A [m images, k channels] with the filter B [k, n]
  return runConv({ kernel: BatchMatMul, symbol: "conv2d_forward", backend, attrs: VALID, xShape: [m, 1, 1, k],
    filterShape: [1, 1, k, n], dy: null, a: as(a, [m, 1, 1, k]), b: as(b, [1, 1, k, n]), outShape });
};

/** Registers with `tf.registerKernel`, wrapping tfjs-wasm's BatchMatMul. */
export const batchMatMulConfig: KernelConfig = { kernelName: BatchMatMul, backendName: "wasm", kernelFunc: batchMatMul };
