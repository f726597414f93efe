// BatchMatMul for tfjs-wasm: a single float32 product A·B, A·Bᵀ, Aᵀ·B or Aᵀ·Bᵀ (the dense layers of
// the projector and predictor, forward and backward) runs on our blocked GEMM kernel, in place, on
// helper threads too. tfjs-wasm's own loop took over half of a BYOL step with a 4096-wide projector
// (bench/RESULTS.md). Batched or broadcast products go to tfjs-wasm's kernel.
import { BatchMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { matMulShape } from "./gemm-shape";
import { runGemm } from "./gemm";
import { runOriginal } from "./originals";

const batchMatMul: KernelFunc = (args) => {
  const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const shape = matMulShape(BatchMatMul, a, b, transposeA, transposeB);
  if (!shape) return runOriginal(BatchMatMul, args) as TensorInfo;
  return runGemm({ backend: args.backend, a, b, bias: null, transA: transposeA, transB: transposeB, relu: false, ...shape });
};

/** Registers with `tf.registerKernel`, wrapping tfjs-wasm's BatchMatMul. */
export const batchMatMulConfig: KernelConfig = { kernelName: BatchMatMul, backendName: "wasm", kernelFunc: batchMatMul };
