// Which matrix products our GEMM kernel takes: one float32 product (leading dimensions all 1, equal
// ranks); batched and broadcast ones stay with tfjs-wasm.
import type { TensorInfo } from "@tensorflow/tfjs-core";

/** m, n, k and the output shape of op(a)·op(b), or null when the product is not a single float32 one. */
export function matMulShape(kernel: string, a: TensorInfo, b: TensorInfo, transA: boolean, transB: boolean):
  { m: number; n: number; k: number; outShape: number[] } | null {
  const single = (t: TensorInfo) => t.dtype === "float32" && t.shape.length >= 2 && t.shape.slice(0, -2).every((d) => d === 1);
  if (!single(a) || !single(b) || a.shape.length !== b.shape.length) return null;
  const [r0, r1] = a.shape.slice(-2);
  const [c0, c1] = b.shape.slice(-2);
  const [m, k] = transA ? [r1, r0] : [r0, r1];
  const [k2, n] = transB ? [c1, c0] : [c0, c1];
  if (k !== k2) throw new Error(`byol-ts wasm ${kernel}: inner sizes differ: a [${a.shape}]${transA ? "ᵀ" : ""} · b [${b.shape}]${transB ? "ᵀ" : ""}`);
  if (m * n * k === 0) return null;
  return { m, n, k, outShape: [...a.shape.slice(0, -2), m, n] };
}
