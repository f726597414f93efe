// Our BatchMatMul on tfjs-wasm (single products A·B, A·Bᵀ, Aᵀ·B, Aᵀ·Bᵀ on the GEMM kernel) against
// the cpu backend, on every kernel build; batched products fall back to tfjs-wasm's kernel;
// gradients of a dense layer; no leaks. test/wasm-gemm.test.ts covers the kernel's edges and threads.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initKernels } from "../bindings/loader";
import { batchMatMulConfig } from "../bindings/tfjs-wasm/BatchMatMul";
import { registerWasmKernels, unregisterWasmKernels } from "../bindings/tfjs-wasm/register";
import { randn, relL2 } from "./helpers";

type Case = [number[], number[], boolean, boolean];

const CASES: Case[] = [
  [[128, 512], [512, 1024], false, false], // projector forward size
  [[64, 1024], [128, 1024], false, true], // dx of a dense layer: dy · Wᵀ
  [[64, 256], [64, 512], true, false], // dW of a dense layer: xᵀ · dy
  [[1, 1], [1, 1], false, false],
  [[3, 5], [5, 7], false, false],
  [[7, 3], [5, 3], false, true],
  [[4, 3], [4, 6], true, false],
  [[1, 17, 33], [1, 33, 9], false, false], // rank 3 with a batch of one
  [[1, 33, 17], [1, 33, 9], true, false],
  [[2, 3, 4], [2, 4, 5], false, false], // batched: tfjs-wasm's kernel
  [[6, 4], [5, 6], true, true], // doubly transposed
];

function products(seed: number): Float32Array[] {
  return CASES.map(([sa, sb, ta, tb], i) =>
    tf.tidy(() => {
      const a = tf.tensor(randn(sa.reduce((x, y) => x * y), seed + i), sa);
      const b = tf.tensor(randn(sb.reduce((x, y) => x * y), seed + 100 + i), sb);
      return tf.matMul(a, b, ta, tb).dataSync() as Float32Array;
    }),
  );
}

let reference: Float32Array[];

beforeAll(async () => {
  await tf.setBackend("cpu");
  reference = products(1);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  await tf.setBackend("wasm");
});

afterAll(() => unregisterWasmKernels());

describe.each(["relaxed-simd", "simd", "scalar"] as const)("BatchMatMul on tfjs-wasm (%s build)", (build) => {
  beforeAll(async () => {
    await initKernels({ build });
    registerWasmKernels();
  });

  it("matches the cpu backend for every transpose and shape, leaking nothing", () => {
    expect(tf.getKernel("BatchMatMul", "wasm")?.kernelFunc).toBe(batchMatMulConfig.kernelFunc);
    const before = tf.memory().numTensors;
    const ours = products(1);
    expect(tf.memory().numTensors).toBe(before);
    CASES.forEach((c, i) => {
      expect(ours[i].length, JSON.stringify(c)).toBe(reference[i].length);
      expect(relL2(ours[i], reference[i]), JSON.stringify(c)).toBeLessThan(1e-6);
    });
  });

  it("gives a dense layer's gradients as the cpu backend does", async () => {
    const grads = () =>
      tf.tidy(() => {
        const x = tf.tensor2d(randn(32 * 48, 7), [32, 48]);
        const w = tf.tensor2d(randn(48 * 40, 8), [48, 40]);
        const dy = tf.tensor2d(randn(32 * 40, 9), [32, 40]);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.relu(tf.matMul(a, b)), dy)))([x, w]).map((g) => g.dataSync() as Float32Array);
      });
    const ours = grads();
    await tf.setBackend("cpu");
    const cpu = grads();
    await tf.setBackend("wasm");
    ours.forEach((g, i) => expect(relL2(g, cpu[i])).toBeLessThan(1e-6));
  });
});
