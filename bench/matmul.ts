// The dense heads' matrix products and a ResNet layer's convolutions on tfjs-wasm, in one process
// with benchmark.js: tfjs-wasm's own kernels (the baseline); the route BatchMatMul took before the
// GEMM kernel (our convolution kernels as 1×1 convolutions, the forward's bias left out) on one and
// two kernel threads; byol-ts' kernels now (the GEMM kernel for products) on one and two.
// Products: the anchor's 4096-wide projector at batch 128 and the default's 1024-wide one at batch
// 64, forward x·W + b (tf.fused.matMul, as tf.layers.dense runs it), input gradient dy·Wᵀ and
// weight gradient xᵀ·dy. Convolutions: ResNet-18's layer1/layer3 3×3 (torchvision stem, 28×28,
// batch 128) forward and both gradients. The load average is printed before and after.
//
//   npx tsx bench/matmul.ts [--samples 8] [--products-only]
import Benchmark from "benchmark";
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs";
import type { TensorInfo } from "@tensorflow/tfjs-core";
import { runConv } from "../bindings/tfjs-wasm/conv";
import { setBackend } from "../src/backend";

const i = process.argv.indexOf("--samples");
const samples = i > 0 ? Number(process.argv[i + 1]) : 8;
const productsOnly = process.argv.includes("--products-only");

interface Case {
  name: string;
  /** Floating-point operations (2·m·n·k for a product), 0 for the convolutions. */
  flops: number;
  run(): void;
  /** The same product through the 1×1-convolution route (products only). */
  convRoute?(): void;
}

const VALID = { strides: 1, pad: "valid", dataFormat: "NHWC" } as const;
const as = (t: tf.Tensor, shape: number[]): TensorInfo => ({ dataId: t.dataId, dtype: t.dtype, shape });

/**
 * op(a)·op(b) as BatchMatMul ran it before the GEMM kernel (bindings/tfjs-wasm/BatchMatMul.ts up to
 * the commit before it): Aᵀ·B as a filter gradient, A·Bᵀ as an input gradient, A·B as a forward
 * convolution, over the rows as images.
 */
function convRoute(a: tf.Tensor2D, b: tf.Tensor2D, ta: boolean, tb: boolean): void {
  const [m, k] = ta ? [a.shape[1], a.shape[0]] : a.shape;
  const n = tb ? b.shape[0] : b.shape[1];
  const common = { kernel: "BatchMatMul", backend: tf.backend(), attrs: VALID, outShape: [m, n] };
  const out = ta
    ? runConv({ ...common, symbol: "conv2d_backprop_filter", xShape: [k, 1, 1, m], filterShape: [1, 1, m, n],
      dy: as(b, [k, 1, 1, n]), a: as(a, [k, 1, 1, m]), b: as(b, [k, 1, 1, n]) })
    : tb
      ? runConv({ ...common, symbol: "conv2d_backprop_input", xShape: [m, 1, 1, n], filterShape: [1, 1, n, k],
        dy: as(a, [m, 1, 1, k]), a: as(a, [m, 1, 1, k]), b: as(b, [1, 1, n, k]) })
      : runConv({ ...common, symbol: "conv2d_forward", xShape: [m, 1, 1, k], filterShape: [1, 1, k, n], dy: null,
        a: as(a, [m, 1, 1, k]), b: as(b, [1, 1, k, n]) });
  const t = tf.engine().makeTensorFromTensorInfo(out);
  t.dataSync();
  t.dispose();
}

/** A dense layer's three products: batch × in → out. */
function products(label: string, batch: number, inSize: number, outSize: number, seed: number): Case[] {
  const x = tf.randomNormal([batch, inSize], 0, 1, "float32", seed) as tf.Tensor2D;
  const w = tf.randomNormal([inSize, outSize], 0, 0.04, "float32", seed + 1) as tf.Tensor2D;
  const bias = tf.randomNormal([outSize], 0, 0.1, "float32", seed + 2) as tf.Tensor1D;
  const dy = tf.randomNormal([batch, outSize], 0, 1, "float32", seed + 3) as tf.Tensor2D;
  const flops = 2 * batch * inSize * outSize;
  const tidy = (f: () => void) => () => tf.tidy(f);
  return [
    { name: `${label} x·W+b [${batch},${inSize}]·[${inSize},${outSize}]`, flops,
      run: tidy(() => void tf.fused.matMul({ a: x, b: w, bias }).dataSync()), convRoute: () => convRoute(x, w, false, false) },
    { name: `${label} dy·Wᵀ [${batch},${outSize}]·[${inSize},${outSize}]ᵀ`, flops,
      run: tidy(() => void tf.matMul(dy, w, false, true).dataSync()), convRoute: () => convRoute(dy, w, false, true) },
    { name: `${label} xᵀ·dy [${batch},${inSize}]ᵀ·[${batch},${outSize}]`, flops,
      run: tidy(() => void tf.matMul(x, dy, true, false).dataSync()), convRoute: () => convRoute(x, dy, true, false) },
  ];
}

/** A 3×3 convolution of ResNet-18 (torchvision stem at 28×28, batch 128): forward, dX, dW. */
function convolutions(side: number, c: number): Case[] {
  const x = tf.randomNormal([128, side, side, c], 0, 1, "float32", 4) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c], 0, 0.05, "float32", 5) as tf.Tensor4D;
  const dy = tf.randomNormal([128, side, side, c], 0, 1, "float32", 6) as tf.Tensor4D;
  const attrs = { strides: 1, pad: "same", dataFormat: "NHWC" };
  const kernel = (name: string, inputs: object, extra: object) => () =>
    (tf.engine().runKernel(name, inputs as never, { ...attrs, ...extra } as never) as tf.Tensor).dispose();
  const label = `${side}×${side}×${c}`;
  return [
    { name: `conv ${label} forward`, flops: 0, run: () => tf.conv2d(x, w, 1, "same").dispose() },
    { name: `conv ${label} dX`, flops: 0, run: kernel("Conv2DBackpropInput", { dy, filter: w }, { inputShape: x.shape }) },
    { name: `conv ${label} dW`, flops: 0, run: kernel("Conv2DBackpropFilter", { x, dy }, { filterShape: w.shape }) },
  ];
}

/** Mean ms of each function with benchmark.js. */
function measure(runs: { name: string; fn: () => void }[]): number[] {
  const out: number[] = [];
  const suite = new Benchmark.Suite();
  for (const r of runs) suite.add(r.name, r.fn, { minSamples: samples, maxTime: 1 });
  suite.on("cycle", (e: Benchmark.Event) => out.push((e.target as unknown as Benchmark).stats.mean * 1000));
  suite.on("error", (e: Benchmark.Event) => {
    throw (e.target as unknown as { error: Error }).error;
  });
  suite.run();
  return out;
}

type Setup = { label: string; options: { tfjsKernelsOnly?: boolean; kernelThreads?: number }; route?: "conv" };
const setups: Setup[] = [
  { label: "tfjs-wasm", options: { tfjsKernelsOnly: true } },
  { label: "conv route, 1 thread", options: {}, route: "conv" },
  { label: "conv route, 2 threads", options: { kernelThreads: 2 }, route: "conv" },
  { label: "byol-ts, 1 thread", options: {} },
  { label: "byol-ts, 2 threads", options: { kernelThreads: 2 } },
];
const load = () => loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`${new Date().toISOString()}, load ${load()}`);
await setBackend("wasm");
const cases = [...products("anchor", 128, 512, 4096, 10), ...products("anchor", 128, 4096, 256, 20), ...products("anchor", 128, 256, 4096, 30),
  ...products("default", 64, 128, 1024, 40), ...products("default", 64, 1024, 128, 50),
  ...(productsOnly ? [] : [...convolutions(7, 64), ...convolutions(2, 256)])];
// tfjs-wasm has no filter gradient (Conv2DBackpropFilter); the conv route is for products only
const fnOf = (s: Setup, c: Case) => (s.route === "conv" ? c.convRoute : s.options.tfjsKernelsOnly && c.name.endsWith("dW") ? undefined : c.run);
const rows: number[][] = [];
for (const s of setups) {
  await setBackend("wasm", s.options);
  const runs = cases.flatMap((c) => (fnOf(s, c) ? [{ name: c.name, fn: fnOf(s, c)! }] : []));
  const times = measure(runs);
  rows.push(cases.map((c) => (fnOf(s, c) ? times.shift()! : NaN)));
}
console.log(`load after ${load()}\n`);
const ms = (t: number) => (Number.isNaN(t) ? "—" : t.toFixed(2));
const gflops = (c: Case, t: number) => (c.flops && !Number.isNaN(t) ? (c.flops / t / 1e6).toFixed(1) : "—");
console.log(`| case | ${setups.map((s) => s.label + " ms").join(" | ")} | GFLOP/s: tfjs / conv 1 / conv 2 / ours 1 / ours 2 |`);
console.log(`| --- | ${setups.map(() => "---:").join(" | ")} | ---: |`);
cases.forEach((c, k) => {
  const t = rows.map((r) => r[k]);
  const g = c.flops ? t.map((x) => gflops(c, x)).join(" / ") : "—";
  console.log(`| ${c.name} | ${t.map(ms).join(" | ")} | ${g} |`);
});
