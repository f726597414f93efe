// Our Conv2D / Conv2DBackpropFilter / Conv2DBackpropInput on tfjs-wasm against the cpu backend, on
// every kernel build (relaxed SIMD, SIMD, scalar); relaxed SIMD against SIMD directly (within float32
// rounding, and fused: not bit for bit, on an FMA CPU); MaxPoolGrad, Sum and Mean likewise (SIMD and
// scalar: relaxed SIMD changes only the convolution tiles); plus leaks, memory growth and bad attributes.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initKernels, type KernelBuild } from "../bindings/loader";
import { backendMemory, bridgeFor, type WasmBackendLike } from "../bindings/tfjs-wasm/bridge";
import { registerWasmKernels, unregisterWasmKernels } from "../bindings/tfjs-wasm/register";
import { randn, relL2, rng } from "./helpers";

type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case { x: [number, number, number, number]; k: number; cout: number; stride: number; pad: Pad }

/** conv2d(x, w), and dx and dW of Σ conv2d(x, w) · dy, on the current backend. */
function convGrads(c: Case, seed: number): [Float32Array, Float32Array, Float32Array] {
  return tf.tidy(() => {
    const cin = c.x[3];
    const x = tf.tensor4d(randn(c.x.reduce((a, b) => a * b), seed), c.x);
    const w = tf.tensor4d(randn(c.k * c.k * cin * c.cout, seed + 1, 1 / Math.sqrt(c.k * c.k * cin)), [c.k, c.k, cin, c.cout]);
    const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
    const y = conv(x, w);
    const dy = tf.tensor(randn(y.size, seed + 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), dy)))([x, w]);
    return [dx.dataSync() as Float32Array, dw.dataSync() as Float32Array, y.dataSync() as Float32Array];
  });
}

/** Random cases: sizes shrink as channels or batch grow, so the cpu reference stays fast. */
function randomCases(count: number, seed: number): Case[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const out: Case[] = [];
  for (let i = 0; i < count; i++) {
    const k = pick([1, 3, 3, 7]);
    const cin = pick([1, 2, 3, 5, 8, 16, 24, 64, 130, 512]);
    const cout = Math.min(pick([1, 4, 7, 8, 16, 33, 64, 256, 512]), Math.floor(65536 / cin)); // the cpu reference is slow beyond
    const big = cin * cout > 4096;
    const n = big ? pick([1, 2]) : pick([1, 3, 8, 64]);
    const side = big || n === 64 ? pick([3, 4, 5]) : pick([5, 7, 8, 11]);
    // outputs stay non-empty: tfjs-wasm's own forward Conv2D corrupts its heap on an empty output
    const h = Math.max(side, k);
    const w = Math.max(side + (i % 2), k);
    const pad = pick<Pad>(["same", "valid", 1, [[0, 0], [k >> 1, (k >> 1) + 1], [0, k >> 1], [0, 0]]]);
    out.push({ x: [n, h, w, cin], k, cout, stride: pick([1, 2]), pad });
  }
  return out;
}

const edgeCases: Case[] = [
  { x: [1, 1, 1, 1], k: 1, cout: 1, stride: 1, pad: "valid" },
  { x: [2, 28, 28, 3], k: 3, cout: 16, stride: 1, pad: "same" }, // a CIFAR stem
  { x: [2, 28, 28, 3], k: 7, cout: 16, stride: 2, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] }, // a torchvision stem
  { x: [3, 8, 8, 16], k: 1, cout: 32, stride: 2, pad: "valid" }, // a downsample
  { x: [2, 4, 4, 16], k: 3, cout: 8, stride: 2, pad: "same" }, // tfjs' asymmetric 'same'
  { x: [64, 2, 2, 8], k: 3, cout: 8, stride: 1, pad: 1 },
  { x: [1, 3, 3, 512], k: 3, cout: 128, stride: 1, pad: 1 },
  { x: [2, 3, 3, 128], k: 3, cout: 512, stride: 2, pad: 1 },
];

const builds = (process.env.ONLY ? [process.env.ONLY] : ["relaxed-simd", "simd", "scalar"]) as KernelBuild[];

describe.each(builds)("wasm conv gradients (%s build)", (build) => {
  beforeAll(async () => {
    await initKernels({ build });
    registerWasmKernels();
  });
  afterAll(() => unregisterWasmKernels());

  // relaxed SIMD changes only the tiles' rounding: fewer random cases (and the direct test below)
  const cases = [...edgeCases, ...(build === "relaxed-simd" ? randomCases(8, 9) : randomCases(24, build === "simd" ? 7 : 8))];
  it.each(cases.map((c, i) => [i, JSON.stringify(c), c] as const))("case %i %s: output, dx, dW match cpu within 1e-4", async (i, _name, c) => {
    await tf.setBackend("cpu");
    const [dxRef, dwRef, yRef] = convGrads(c, 100 + i);
    await tf.setBackend("wasm");
    const before = tf.memory().numTensors;
    const [dx, dw, y] = convGrads(c, 100 + i);
    expect(tf.memory().numTensors).toBe(before);
    expect(relL2(dx, dxRef)).toBeLessThan(1e-4);
    expect(relL2(dw, dwRef)).toBeLessThan(1e-4);
    expect(relL2(y, yRef)).toBeLessThan(1e-4);
  });
});

/** Runs `f` on cpu and on wasm (our kernels) and returns both results as flat arrays. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const flat = () => tf.tidy(() => [f()].flat().map((t) => t.dataSync() as Float32Array));
  await tf.setBackend("cpu");
  const ref = flat();
  await tf.setBackend("wasm");
  const before = tf.memory().numTensors;
  const got = flat();
  expect(tf.memory().numTensors).toBe(before);
  return [got, ref];
}

/** True where V8 fuses f32x4.relaxed_madd: x64 CPUs with FMA3 (Linux: /proc/cpuinfo says), and arm64. */
function fusedMadd(): boolean {
  if (process.arch === "arm64") return true;
  try {
    return process.arch === "x64" && /^flags\s*:.*\bfma\b/m.test(readFileSync("/proc/cpuinfo", "utf8"));
  } catch {
    return false;
  }
}

describe("relaxed SIMD against SIMD", () => {
  afterAll(() => unregisterWasmKernels());

  it("the convolutions and their gradients agree within float32 rounding, and are fused (not bit for bit) on an FMA CPU", async () => {
    await tf.setBackend("wasm");
    registerWasmKernels();
    const cases: Case[] = [edgeCases[1], edgeCases[3], { x: [2, 8, 8, 32], k: 3, cout: 32, stride: 1, pad: "same" }];
    const run = async (build: KernelBuild) => {
      await initKernels({ build });
      return cases.map((c, i) => convGrads(c, 300 + i));
    };
    const [relaxed, simd] = [await run("relaxed-simd"), await run("simd")];
    let differ = 0;
    relaxed.forEach((outs, i) => outs.forEach((r, j) => {
      expect(relL2(r, simd[i][j]), `case ${i}, output ${j}`).toBeLessThan(1e-6);
      if (r.some((v, k) => v !== simd[i][j][k])) differ++;
    }));
    if (fusedMadd()) expect(differ).toBeGreaterThan(0);
    // one build gives the same numbers every run
    expect(await run("relaxed-simd")).toEqual(relaxed);
  }, 120_000);
});

const poolBuilds = builds.filter((b) => b !== "relaxed-simd");
describe.each(poolBuilds.length ? poolBuilds : (["simd"] as KernelBuild[]))("wasm MaxPoolGrad, Sum and Mean (%s build)", (build) => {
  beforeAll(async () => {
    await initKernels({ build });
    registerWasmKernels();
  });
  afterAll(() => unregisterWasmKernels());

  const pools: [number[], number, number, "same" | "valid" | number][] = [
    [[2, 16, 16, 64], 3, 2, "valid"], // the torchvision stem, after explicit padding
    [[3, 7, 9, 5], 3, 2, "same"],
    [[1, 6, 6, 8], 2, 2, "valid"],
    [[2, 5, 5, 3], 3, 1, 1],
  ];
  it.each(pools)("MaxPoolGrad of %j, window %i, stride %i, pad %j matches cpu", async (shape, k, s, pad) => {
    // integers with ties: the first maximum of a window must win, as on cpu
    const x = Float32Array.from(randn(shape.reduce((a, b) => a * b), 5), (v) => Math.round(v * 2));
    const [got, ref] = await onBoth(() => {
      const xt = tf.tensor4d(x, shape as [number, number, number, number]);
      const pooled = tf.maxPool(xt, k, s, pad);
      const dy = tf.tensor(randn(pooled.size, 6), pooled.shape);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, k, s, pad), dy)))(xt);
    });
    expect(relL2(got[0], ref[0])).toBeLessThan(1e-6);
  });

  it.each([
    [[64, 14, 14, 20], [0, 1, 2], false],
    [[5, 3, 7], [1, 0], true],
    [[4, 6], 0, false],
    [[4, 6, 3], [1, 2], false], // inner axes: tfjs' own kernel
    [[4, 6, 3], [-1], true],
  ] as [number[], number | number[], boolean][])("Sum and Mean of %j over %j (keepDims %s) match cpu", async (shape, axis, keepDims) => {
    const x = randn(shape.reduce((a, b) => a * b), 9, 3);
    const [got, ref] = await onBoth(() => {
      const xt = tf.tensor(x, shape);
      const outs = [tf.sum(xt, axis, keepDims), tf.mean(xt, axis, keepDims)];
      expect(outs[0].shape).toEqual(tf.sum(tf.zeros(shape), axis, keepDims).shape);
      return outs;
    });
    expect(relL2(got[0], ref[0])).toBeLessThan(1e-5);
    expect(relL2(got[1], ref[1])).toBeLessThan(1e-5);
  });
});

describe("wasm conv gradients: resources and errors", () => {
  beforeAll(async () => {
    await initKernels({ build: "simd" });
    registerWasmKernels();
    await tf.setBackend("wasm");
  });
  afterAll(() => unregisterWasmKernels());

  it("does not grow tfjs-wasm memory or leak tensors over repeated calls", () => {
    const c: Case = { x: [8, 14, 14, 32], k: 3, cout: 64, stride: 2, pad: 1 };
    const memory = backendMemory(tf.backend() as unknown as WasmBackendLike);
    for (let i = 0; i < 3; i++) convGrads(c, 1); // warm up: scratch and tfjs' pools settle
    const bytes = memory.buffer.byteLength;
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) convGrads(c, 1);
    expect(memory.buffer.byteLength).toBe(bytes);
    expect(tf.memory().numTensors).toBe(tensors);
  });

  it("leaves fused bias/activation and dilated convolutions to tfjs, with the same results as cpu", async () => {
    const x = randn(2 * 6 * 6 * 16, 11);
    const w = randn(3 * 3 * 16 * 8, 12, 0.1);
    const run = () => {
      const xt = tf.tensor4d(x, [2, 6, 6, 16]);
      const wt = tf.tensor4d(w, [3, 3, 16, 8]);
      return [
        tf.fused.conv2d({ x: xt, filter: wt, strides: 1, pad: "same", bias: tf.ones([8]), activation: "relu" }),
        tf.fused.conv2d({ x: xt, filter: wt, strides: 1, pad: "same" }),
        tf.conv2d(xt, wt, 1, "same", "NHWC", 2),
      ];
    };
    const [got, ref] = await onBoth(run);
    for (let i = 0; i < 3; i++) expect(relL2(got[i], ref[i])).toBeLessThan(1e-5);
  });

  const x = () => tf.zeros([1, 4, 4, 2]);
  const dy = () => tf.zeros([1, 4, 4, 3]);
  const run = (name: string, inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) =>
    tf.tidy(() => tf.engine().runKernel(name, inputs as never, attrs as never));
  const base = { strides: 1, pad: "same", dataFormat: "NHWC" };

  it("rejects NCHW, wrong dy shapes, bad strides and channel mismatches by name", () => {
    expect(() => run("Conv2DBackpropFilter", { x: x(), dy: dy() }, { ...base, dataFormat: "NCHW", filterShape: [3, 3, 2, 3] }))
      .toThrow(/Conv2DBackpropFilter: dataFormat 'NCHW'/);
    expect(() => run("Conv2DBackpropFilter", { x: x(), dy: tf.zeros([1, 2, 2, 3]) }, { ...base, filterShape: [3, 3, 2, 3] }))
      .toThrow(/dy has shape \[1,2,2,3\] but the convolution produces \[1,4,4,3\]/);
    expect(() => run("Conv2DBackpropInput", { dy: dy(), filter: tf.zeros([3, 3, 2, 3]) }, { ...base, strides: [0, 1], inputShape: [1, 4, 4, 2] }))
      .toThrow(/Conv2DBackpropInput: strides must be positive integers/);
    expect(() => run("Conv2DBackpropInput", { dy: dy(), filter: tf.zeros([3, 3, 5, 3]) }, { ...base, inputShape: [1, 4, 4, 2] }))
      .toThrow(/input has 2 channels but the filter \[3,3,5,3\] expects 5/);
    expect(() => run("Conv2DBackpropFilter", { x: x(), dy: dy() }, { ...base, pad: "circular", filterShape: [3, 3, 2, 3] }))
      .toThrow(/Conv2DBackpropFilter: bad padding "circular"/);
  });
});

describe("zero-copy Identity", () => {
  beforeAll(async () => {
    await initKernels({ build: "simd" });
    registerWasmKernels();
    await tf.setBackend("wasm");
  });
  afterAll(() => unregisterWasmKernels());

  it("shares data like tfjs' cpu backend, frees it with the last tensor, and guards in-place writes", () => {
    const backend = tf.backend() as unknown as WasmBackendLike;
    const bridge = bridgeFor(backend);
    const tensors = tf.memory().numTensors;
    const a = tf.tensor1d([1, 2, 3]);
    expect(bridge.writablePtr(a)).toBe(bridge.ptr(a));
    const b = tf.clone(a);
    expect(bridge.ptr(b)).toBe(bridge.ptr(a));
    expect(() => bridge.writablePtr(a)).toThrow(/shares its data with 1 other tensor/);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    expect(bridge.writablePtr(b)).toBe(bridge.ptr(b));
    b.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe("shared-memory build (threaded tfjs-wasm keeps its heap in a SharedArrayBuffer)", () => {
  /** A stand-in for BackendWasm over a shared memory: bump allocator, tensors by dataId. */
  function sharedBackend() {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
    let top = 1024;
    const data = new Map<object, { memoryOffset: number }>();
    const malloc = (bytes: number) => {
      const p = top;
      top += (bytes + 15) & ~15;
      if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
      return p;
    };
    const tensor = (values: Float32Array, shape: number[]) => {
      const info = { dataId: {}, shape, dtype: "float32" as const };
      const memoryOffset = malloc(values.length * 4);
      new Float32Array(memory.buffer, memoryOffset, values.length).set(values);
      data.set(info.dataId, { memoryOffset });
      return info;
    };
    const backend = {
      wasm: { asm: { memory }, _malloc: malloc, _free: () => undefined },
      dataIdMap: data,
      refCount: () => 1,
      makeOutput: (shape: number[]) => tensor(new Float32Array(shape.reduce((a, b) => a * b)), shape),
    };
    const read = (t: { dataId: object; shape: number[] }) =>
      new Float32Array(memory.buffer, data.get(t.dataId)!.memoryOffset, t.shape.reduce((a, b) => a * b)).slice();
    return { backend, tensor, read };
  }

  it("runs Conv2DBackpropFilter in place with the shared build and matches cpu", async () => {
    await initKernels({ build: "simd" });
    const { backend, tensor, read } = sharedBackend();
    const bridge = bridgeFor(backend as unknown as WasmBackendLike);
    expect(bridge.shared).toBe(true);
    const xs = randn(2 * 6 * 6 * 16, 21);
    const dys = randn(2 * 3 * 3 * 8, 22);
    const attrs = { strides: 2, pad: 1, dataFormat: "NHWC", filterShape: [3, 3, 16, 8] };
    const { conv2DBackpropFilterConfig } = await import("../bindings/tfjs-wasm/Conv2DBackpropFilter");
    const out = conv2DBackpropFilterConfig.kernelFunc({
      inputs: { x: tensor(xs, [2, 6, 6, 16]), dy: tensor(dys, [2, 3, 3, 8]) }, attrs, backend,
    } as never) as { dataId: object; shape: number[] };
    await tf.setBackend("cpu");
    const ref = tf.tidy(() => (tf.engine().runKernel("Conv2DBackpropFilter",
      { x: tf.tensor4d(xs, [2, 6, 6, 16]), dy: tf.tensor4d(dys, [2, 3, 3, 8]) }, attrs as never) as tf.Tensor).dataSync());
    expect(relL2(read(out), ref)).toBeLessThan(1e-5);
  });
});
