// Runs our dense product kernel (assembly/gemm.ts) in place on tfjs-wasm memory, splitting large
// products with the helper threads. A product is split over C's rows or its columns, whichever
// copies fewer floats to the helpers: each part is a whole product of its own, so no partial sums
// are added and the numbers do not depend on the split.
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { backendMemory, bridgeFor, type WasmBackendLike } from "./bridge";
import { kernelHelpers, type KernelThread } from "./threads";

/** The kernel's export name (helper threads serve it). */
export const GEMM_KERNEL = "gemm";

// flag bits of assembly/gemm.ts
const TRANS_A = 1;
const TRANS_B = 2;
const BIAS = 4;
const RELU = 8;

interface Exports {
  gemm_scratch(m: number, n: number, k: number): number;
  gemm(a: number, b: number, c: number, bias: number, scratch: number, m: number, n: number, k: number,
    lda: number, ldb: number, ldc: number, flags: number): void;
}

/** C [m, n] = op(a)·op(b) (+ bias [n]; then ReLU): a is [m, k] or, transposed, [k, m]; b is [k, n] or [n, k]. */
export interface GemmCall {
  backend: unknown;
  a: TensorInfo;
  b: TensorInfo;
  bias: TensorInfo | null;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  relu: boolean;
  outShape: number[];
}

/**
 * Multiply-adds per part: a call with fewer than twice this stays on one thread. The default
 * step's 8M-multiply-add products were slower split (its _FusedMatMul calls 13–16 ms on two
 * threads against 9–10 on one, tf.profile); the anchor's 134M–268M gain.
 */
const MIN_SPLIT_MACS = 1 << 23;

/** How a product is shared: over C's rows or columns, as [start, end) ranges, the caller's first. */
export interface GemmSplit {
  over: "rows" | "columns";
  parts: [number, number][];
}

/**
 * The split of an m×n×k product over `threads` threads: by rows or columns, whichever copies fewer
 * floats to the helpers (a row part takes all of B, a column part all of A); one part when small.
 * Boundaries fall on whole register tiles (4 rows, 8 columns) where the size allows.
 */
export function gemmSplit(m: number, n: number, k: number, threads: number): GemmSplit {
  const helpers = threads - 1;
  const rowCopy = helpers * k * n + (m * k + m * n) * (helpers / threads);
  const colCopy = helpers * m * k + (k * n + m * n) * (helpers / threads);
  const over = rowCopy <= colCopy ? "rows" : "columns";
  const size = over === "rows" ? m : n;
  const tile = over === "rows" ? 4 : 8;
  const count = Math.min(threads, size, Math.max(1, Math.floor((m * n * k) / MIN_SPLIT_MACS)));
  const unit = size >= count * tile ? tile : 1;
  const units = Math.ceil(size / unit);
  const parts = Array.from({ length: count }, (_, i): [number, number] =>
    [Math.min(size, Math.floor((i * units) / count) * unit), Math.min(size, Math.floor(((i + 1) * units) / count) * unit)]);
  return { over, parts };
}

/** Validated shapes in, a new [outShape] tensor out; runs on helper threads when they exist and the product is large. */
export function runGemm(c: GemmCall): TensorInfo {
  const bridge = bridgeFor(c.backend as WasmBackendLike);
  const x = bridge.exports as unknown as Exports;
  const { m, n, k } = c;
  const flags = (c.transA ? TRANS_A : 0) | (c.transB ? TRANS_B : 0) | (c.bias ? BIAS : 0) | (c.relu ? RELU : 0);
  const out = bridge.output(c.outShape);
  const a = bridge.ptr(c.a);
  const b = bridge.ptr(c.b);
  const bias = c.bias ? bridge.ptr(c.bias) : 0;
  const helpers = kernelHelpers();
  const split = gemmSplit(m, n, k, helpers.length + 1);
  const memory = backendMemory(c.backend as WasmBackendLike);
  const helped = split.parts.slice(1).map((part, i) => postPart(helpers[i], x, c, flags, split.over, part, memory, a, b, bias));
  // the caller's part starts at row/column 0: the full matrices' pointers and leading dimensions serve
  const [, end] = split.parts[0];
  const [mm, nn] = split.over === "rows" ? [end, n] : [m, end];
  const scratch = bridge.scratch(x.gemm_scratch(mm, nn, k));
  x.gemm(a, b, out.ptr, bias, scratch, mm, nn, k, c.transA ? m : k, c.transB ? k : n, n, flags);
  for (const h of helped) h.collect(backendMemory(c.backend as WasmBackendLike), out.ptr);
  return out.info;
}

/** Copies `rows` rows of `width` floats, `stride` apart from float `offset` of `src`, densely into `dst`. */
function gather(dst: Float32Array, src: Float32Array, offset: number, rows: number, width: number, stride: number): void {
  if (width === stride) dst.set(src.subarray(offset, offset + rows * width));
  else for (let r = 0; r < rows; r++) dst.set(src.subarray(offset + r * stride, offset + r * stride + width), r * width);
}

/**
 * Copies one part's operands to a helper (dense, with their own leading dimensions) and starts the
 * kernel there; `collect` waits for it and writes its rows or columns of C into `out`.
 */
function postPart(helper: KernelThread, x: Exports, c: GemmCall, flags: number, over: GemmSplit["over"], [start, end]: [number, number],
  memory: WebAssembly.Memory, a: number, b: number, bias: number): { collect(memory: WebAssembly.Memory, out: number): void } {
  const { m, n, k, transA, transB } = c;
  const size = end - start;
  const [mh, nh] = over === "rows" ? [size, n] : [m, size];
  const align = (bytes: number) => (bytes + 63) & ~63;
  const pa = 0;
  const pb = pa + align(4 * mh * k);
  const pbias = pb + align(4 * k * nh);
  const po = pbias + align(4 * nh);
  const ps = po + align(4 * mh * nh);
  helper.reserve(ps + x.gemm_scratch(mh, nh, k));
  const floats = (ptr: number) => new Float32Array(memory.buffer, ptr);
  const [A, B] = [floats(a), floats(b)];
  // A part: rows of A (or, transposed, columns of the stored [k, m]); B part: columns of B (or rows of the stored [n, k])
  if (over === "rows" && transA) gather(helper.floats(pa, k * mh), A, start, k, mh, m);
  else if (over === "rows") gather(helper.floats(pa, mh * k), A, start * k, mh, k, k);
  else helper.floats(pa, m * k).set(A.subarray(0, m * k));
  if (over === "columns" && !transB) gather(helper.floats(pb, k * nh), B, start, k, nh, n);
  else if (over === "columns") gather(helper.floats(pb, nh * k), B, start * k, nh, k, k);
  else helper.floats(pb, k * n).set(B.subarray(0, k * n));
  if (bias) helper.floats(pbias, nh).set(floats(bias).subarray(over === "columns" ? start : 0).subarray(0, nh));
  const lda = transA ? mh : k;
  const ldb = transB ? k : nh;
  helper.post(GEMM_KERNEL, [pa, pb, po, pbias, ps, mh, nh, k, lda, ldb, nh, flags]);
  return {
    collect(tfjsMemory, out) {
      helper.wait();
      const result = helper.floats(po, mh * nh);
      const C = new Float32Array(tfjsMemory.buffer, out);
      if (over === "rows") C.set(result, start * n);
      else for (let r = 0; r < m; r++) C.set(result.subarray(r * nh, (r + 1) * nh), r * n + start);
    },
  };
}
