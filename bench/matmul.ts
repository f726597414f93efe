// The dense heads' matrix products and a ResNet layer's convolutions on tfjs-wasm: tfjs-wasm's own
// BatchMatMul (the baseline) against ours on one and on two kernel threads, in one process with
// benchmark.js. Shapes: a 4096-wide projector at batch 128 (forward A·B, input gradient A·Bᵀ,
// weight gradient Aᵀ·B) and ResNet-18's layer1/layer3 3×3 convolutions (torchvision stem, 28×28,
// batch 128) forward and both gradients.
//
//   npx tsx bench/matmul.ts [--samples 8]
import Benchmark from "benchmark";
import * as tf from "@tensorflow/tfjs";
import { setBackend } from "../src/backend";

const i = process.argv.indexOf("--samples");
const samples = i > 0 ? Number(process.argv[i + 1]) : 8;

interface Case {
  name: string;
  run(): void;
}

/** The projector's three products at batch 128, 512 → 4096. */
function products(): Case[] {
  const x = tf.randomNormal([128, 512], 0, 1, "float32", 1);
  const w = tf.randomNormal([512, 4096], 0, 0.04, "float32", 2);
  const dy = tf.randomNormal([128, 4096], 0, 1, "float32", 3);
  return [
    { name: "x·W [128,512]·[512,4096]", run: () => tf.matMul(x, w).dataSync() },
    { name: "dy·Wᵀ [128,4096]·[512,4096]ᵀ", run: () => tf.matMul(dy, w, false, true).dataSync() },
    { name: "xᵀ·dy [128,512]ᵀ·[128,4096]", run: () => tf.matMul(x, dy, true, false).dataSync() },
  ].map((c) => ({ name: c.name, run: () => tf.tidy(() => void c.run()) }));
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
    { name: `conv ${label} forward`, run: () => tf.conv2d(x, w, 1, "same").dispose() },
    { name: `conv ${label} dX`, run: kernel("Conv2DBackpropInput", { dy, filter: w }, { inputShape: x.shape }) },
    { name: `conv ${label} dW`, run: kernel("Conv2DBackpropFilter", { x, dy }, { filterShape: w.shape }) },
  ];
}

/** Mean ms of each case with benchmark.js. */
function measure(cases: Case[]): number[] {
  const out: number[] = [];
  const suite = new Benchmark.Suite();
  for (const c of cases) suite.add(c.name, c.run, { minSamples: samples, maxTime: 1 });
  suite.on("cycle", (e: Benchmark.Event) => out.push((e.target as unknown as Benchmark).stats.mean * 1000));
  suite.on("error", (e: Benchmark.Event) => {
    throw (e.target as unknown as { error: Error }).error;
  });
  suite.run();
  return out;
}

const setups = [
  { label: "tfjs-wasm", options: { tfjsKernelsOnly: true } },
  { label: "byol-ts, 1 thread", options: {} },
  { label: "byol-ts, 2 threads", options: { kernelThreads: 2 } },
];
await setBackend("wasm");
const cases = [...products(), ...convolutions(7, 64), ...convolutions(2, 256)];
const rows: number[][] = [];
// tfjs-wasm has no filter gradient (Conv2DBackpropFilter): its dW rows stay empty
const hasKernel = (s: (typeof setups)[number], c: Case) => !("tfjsKernelsOnly" in s.options && c.name.endsWith("dW"));
for (const s of setups) {
  await setBackend("wasm", s.options);
  const times = measure(cases.filter((c) => hasKernel(s, c)));
  rows.push(cases.map((c) => (hasKernel(s, c) ? times.shift()! : NaN)));
}
console.log(`| case | ${setups.map((s) => s.label + " ms").join(" | ")} | 1 thread vs tfjs | 2 threads vs 1 |`);
console.log(`| --- | ${setups.map(() => "---:").join(" | ")} | ---: | ---: |`);
cases.forEach((c, k) => {
  const [base, one, two] = rows.map((r) => r[k]);
  const b = Number.isNaN(base) ? "—" : base.toFixed(2);
  const ratio = Number.isNaN(base) ? "—" : `${(base / one).toFixed(1)}×`;
  console.log(`| ${c.name} | ${b} | ${one.toFixed(2)} | ${two.toFixed(2)} | ${ratio} | ${(one / two).toFixed(2)}× |`);
});
