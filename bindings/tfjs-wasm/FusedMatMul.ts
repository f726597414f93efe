// _FusedMatMul for tfjs-wasm (tf.layers.dense: x·W + bias, the projector's and predictor's forward)
// on our GEMM kernel, bias and ReLU fused; tfjs-wasm ran it through single-threaded XNNPACK at
// ~15 GFLOP/s. Other activations, prelu weights, a bias that is not one row of n, batched products
// and threaded tfjs-wasm (where XNNPACK uses every core) keep tfjs-wasm's kernel.
import { _FusedMatMul, type KernelConfig, type KernelFunc, type TensorInfo } from "@tensorflow/tfjs-core";
import { bridgeFor, type WasmBackendLike } from "./bridge";
import { runGemm } from "./gemm";
import { matMulShape } from "./gemm-shape";
import { runOriginal } from "./originals";

interface FusedMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
  activation?: string;
}

const fusedMatMul: KernelFunc = (args) => {
  const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfo | undefined>;
  const { transposeA, transposeB, activation = "linear" } = args.attrs as unknown as FusedMatMulAttrs;
  const shape = a && b ? matMulShape(_FusedMatMul, a, b, transposeA, transposeB) : null;
  const biasRow = bias == null || (shape != null && bias.dtype === "float32" && bias.shape.at(-1) === shape.n &&
    bias.shape.slice(0, -1).every((d) => d === 1));
  const ours = shape && biasRow && preluActivationWeights == null && (activation === "linear" || activation === "relu") &&
    !bridgeFor(args.backend as WasmBackendLike).shared;
  if (!ours) return runOriginal(_FusedMatMul, args) as TensorInfo;
  return runGemm({ backend: args.backend, a: a!, b: b!, bias: bias ?? null, transA: transposeA, transB: transposeB,
    relu: activation === "relu", ...shape });
};

/** Registers with `tf.registerKernel`, wrapping tfjs-wasm's _FusedMatMul. */
export const fusedMatMulConfig: KernelConfig = { kernelName: _FusedMatMul, backendName: "wasm", kernelFunc: fusedMatMul };
