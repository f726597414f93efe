// Our convolution and matrix product kernels on helper threads in Node: the same results as one
// thread (forward convolutions and products exactly; the filter gradient's sum over
// images within float32 rounding), the same numbers every run, batches of any size split without gaps,
// small calls kept on one thread, helpers started and stopped by setBackend, a helper woken with no
// new request idle.
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchParts, type ConvGeometry } from "../bindings/tfjs-wasm/conv";
import { kernelHelpers } from "../bindings/tfjs-wasm/threads";
import { setBackend } from "../src/backend";
import { randn, relL2 } from "./helpers";
import { itFull } from "./tier";

/** A convolution's output, input and filter gradients, and three products, on the active backend. */
function work(n: number): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(randn(n * 9 * 9 * 32, n), [n, 9, 9, 32]);
    const w = tf.tensor4d(randn(3 * 3 * 32 * 48, 2, 0.06), [3, 3, 32, 48]);
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], "same");
    const y = conv(x, w);
    const dy = tf.tensor(randn(y.size, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w]);
    const a = tf.tensor2d(randn(n * 16 * 300, 4), [n * 16, 300]);
    const b = tf.tensor2d(randn(300 * 500, 5), [300, 500]);
    const c = tf.tensor2d(randn(n * 16 * 500, 6), [n * 16, 500]);
    return [y, dx, dw, tf.matMul(a, b), tf.matMul(c, b, false, true), tf.matMul(a, c, true, false)].map((t) => t.dataSync() as Float32Array);
  });
}

const BATCHES = [13, 2, 64];
let single: Float32Array[][];

beforeAll(async () => {
  await setBackend("wasm");
  single = BATCHES.map(work);
});

afterAll(() => setBackend("wasm"));

describe("convolution kernels on helper threads", () => {
  itFull.each([2, 3])("%i threads give one thread's results, the same on every run, leaking nothing", async (threads) => {
    const info = await setBackend("wasm", { kernelThreads: threads });
    expect(info.kernelThreads).toBe(threads);
    expect(kernelHelpers()).toHaveLength(threads - 1);
    const before = tf.memory().numTensors;
    BATCHES.forEach((n, i) => {
      const a = work(n);
      const names = ["y", "dx", "dW", "A·B", "A·Bᵀ", "Aᵀ·B"];
      a.forEach((t, j) => {
        // a product's helper computes whole rows or columns of C: no partial sums
        const exact = names[j] === "y" || names[j].includes("·");
        if (exact) expect(t, `${names[j]}, batch ${n}`).toEqual(single[i][j]);
        else expect(relL2(t, single[i][j]), `${names[j]}, batch ${n}`).toBeLessThan(1e-6);
      });
      expect(work(n)).toEqual(a);
    });
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it("splits a batch into contiguous non-empty parts, and small calls not at all", () => {
    const g = (n: number, cin: number, cout: number): ConvGeometry => [n, 8, 8, cin, 8, 8, cout, 3, 3, 1, 1, 1, 1];
    for (const [n, threads] of [[7, 2], [7, 3], [128, 2], [2, 3], [5, 5]]) {
      const parts = batchParts(g(n, 128, 128), threads);
      expect(parts.length).toBe(Math.min(n, threads));
      expect(parts[0][0]).toBe(0);
      expect(parts.at(-1)![1]).toBe(n);
      parts.forEach(([s, e], i) => {
        expect(e).toBeGreaterThan(s);
        if (i > 0) expect(s).toBe(parts[i - 1][1]);
      });
    }
    expect(batchParts(g(4, 2, 2), 2)).toEqual([[0, 4]]); // 4·64·9·4 multiply-adds: not worth a helper
    expect(batchParts(g(1, 512, 512), 4)).toEqual([[0, 1]]);
  });

  it("a helper woken with no new request runs nothing: the last call's output stays as the caller left it", async () => {
    await setBackend("wasm", { kernelThreads: 2 });
    const helper = kernelHelpers()[0];
    // a 3×3 convolution of 8 images of 16×16×32 → 32: input, filter, output, scratch
    const [x, f, y, scratch] = [0, 1 << 17, 1 << 18, 1 << 19];
    helper.reserve(1 << 21);
    helper.floats(x, 8 * 16 * 16 * 32).set(randn(8 * 16 * 16 * 32, 7));
    helper.floats(f, 9 * 32 * 32).set(randn(9 * 32 * 32, 8));
    helper.post("conv2d_forward", [x, f, y, scratch, 8, 16, 16, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1]);
    helper.wait();
    const out = helper.floats(y, 8 * 16 * 16 * 32);
    expect(out.some((v) => v !== 0)).toBe(true);
    // Atomics.wait sometimes returns with no new request; make it happen, then see whether the helper
    // ran its last call again (it did, once in ~2,000 calls under load, rewriting an output being read)
    out.fill(-1);
    const control = (helper as unknown as { control: Int32Array }).control;
    Atomics.notify(control, 0);
    await new Promise((resolve) => setTimeout(resolve, 300)); // the call takes a few milliseconds
    expect(out.every((v) => v === -1)).toBe(true);
    // and it still serves the next request
    helper.post("conv2d_forward", [x, f, y, scratch, 8, 16, 16, 32, 16, 16, 32, 3, 3, 1, 1, 1, 1]);
    helper.wait();
    expect(out.some((v) => v !== -1)).toBe(true);
    await setBackend("wasm");
  });

  it("a call the helper cannot run fails with what the helper threw", async () => {
    await setBackend("wasm", { kernelThreads: 2 });
    const helper = kernelHelpers()[0];
    const beyond = helper.memory.buffer.byteLength; // input, filter, output and scratch all past the end
    helper.post("conv2d_forward", [beyond, beyond, beyond, beyond, 2, 8, 8, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1]);
    expect(() => helper.wait()).toThrow(/^byol-ts kernel thread: conv2d_forward failed \(RuntimeError: memory access out of bounds\)$/);
    // the helper still serves calls
    const threaded = work(13);
    threaded.forEach((t, i) => expect(relL2(t, single[0][i])).toBeLessThan(1e-5));
    await setBackend("wasm");
  });

  it("helpers run the shared twin of the loaded build, replaced when the build changes", async () => {
    expect(await setBackend("wasm", { kernelThreads: 2 })).toMatchObject({ kernelBuild: "relaxed-simd", helperBuild: "relaxed-simd-shared" });
    expect(kernelHelpers().map((h) => h.build)).toEqual(["relaxed-simd"]);
    expect(await setBackend("wasm", { kernelThreads: 2, kernelBuild: "simd" })).toMatchObject({ kernelBuild: "simd", helperBuild: "simd-shared" });
    expect(kernelHelpers().map((h) => h.build)).toEqual(["simd"]);
    work(13).forEach((t, i) => expect(relL2(t, single[0][i])).toBeLessThan(1e-5)); // simd on two threads vs relaxed SIMD on one
    expect(await setBackend("wasm", { kernelThreads: 2, kernelBuild: "scalar" })).toMatchObject({ kernelBuild: "scalar", helperBuild: "simd-shared" });
    expect(await setBackend("wasm")).toMatchObject({ kernelBuild: "relaxed-simd", helperBuild: null });
  });

  it("stops the helpers when set back to one thread, and rejects bad counts", async () => {
    await setBackend("wasm", { kernelThreads: 2 });
    expect(kernelHelpers()).toHaveLength(1);
    await setBackend("wasm");
    expect(kernelHelpers()).toHaveLength(0);
    await expect(setBackend("wasm", { kernelThreads: 0 })).rejects.toThrow(/kernel threads: expected an integer from 1 to 64, got 0/);
    await expect(setBackend("wasm", { kernelThreads: 1.5 })).rejects.toThrow(/got 1\.5/);
  });
});
