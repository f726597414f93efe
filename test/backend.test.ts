// setBackend: one place to choose the tfjs backend; on wasm it installs byol-ts' kernels.
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";

describe("setBackend", () => {
  it("'auto' is wasm with byol-ts kernels in Node, found without configuration", async () => {
    const info = await setBackend("auto");
    expect(info).toEqual({ name: "wasm", simd: true, threads: 1, kernelThreads: 1, kernels: "byol-ts", kernelBuild: "relaxed-simd", helperBuild: null });
    expect(tf.getBackend()).toBe("wasm");
    // conv nets train: tfjs-wasm alone has no Conv2DBackpropFilter
    const dw = tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 5, 5, 2]) as tf.Tensor4D, w as tf.Tensor4D, 1, "same")))(tf.ones([3, 3, 2, 4])));
    expect(Array.from(dw.dataSync()).slice(0, 3)).toEqual([16, 16, 16]); // corner tap: 4 × 4 pixels see it
    dw.dispose();
  });

  it("switches to cpu and back, and can run tfjs' kernels only", async () => {
    expect(await setBackend("cpu")).toEqual({ name: "cpu", simd: false, threads: 1, kernelThreads: 1, kernels: "tfjs", kernelBuild: null, helperBuild: null });
    expect(await setBackend("wasm", { tfjsKernelsOnly: true })).toMatchObject({ name: "wasm", kernels: "tfjs" });
    expect(() => tf.tidy(() => tf.grad((w: tf.Tensor) => tf.sum(tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, w as tf.Tensor4D, 1, "same")))(tf.ones([3, 3, 1, 1]))))
      .toThrow(/Conv2DBackpropFilter/);
    expect(await setBackend("wasm", { kernelBuild: "scalar" })).toEqual({ name: "wasm", simd: false, threads: 1, kernelThreads: 1, kernels: "byol-ts", kernelBuild: "scalar", helperBuild: null });
    expect(await setBackend("wasm", { kernelBuild: "simd" })).toMatchObject({ simd: true, kernelBuild: "simd" });
    expect(await setBackend("wasm")).toMatchObject({ simd: true, kernels: "byol-ts", kernelBuild: "relaxed-simd" });
  });

  it("names the backend that cannot start, and rejects unknown names", async () => {
    await expect(setBackend("webgl")).rejects.toThrow(/'webgl' backend could not be initialised/);
    await expect(setBackend("tpu" as never)).rejects.toThrow(/unknown backend "tpu"/);
    expect(tf.getBackend()).not.toBe("webgl");
  });
});
