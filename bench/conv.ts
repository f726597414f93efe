// ResNet-18 (width 64) forward and forward+backward on tfjs-wasm: tfjs' own kernels with a composed
// filter gradient (the baseline: tfjs-wasm has no Conv2DBackpropFilter) against byol-ts' kernels,
// in one process; per-kernel shares from tf.profile; each backward kernel's GFLOP/s against the
// single-core f32x4 mul+add peak of this machine.
//
//   npx tsx bench/conv.ts [--stems imagenet,cifar] [--batches 64,128] [--rounds 2] [--samples 4] [--cpu] [--kernels]
//
// --cpu adds one forward+backward on the cpu backend (imagenet stem, batch 64; minutes).
// --kernels prints only the per-convolution table (each distinct ResNet-18 convolution's kernels
// alone, GFLOP/s over non-padding taps) for the first batch size.
import Benchmark from "benchmark";
import * as tf from "@tensorflow/tfjs";
import { wasmBase64 as peakWasm } from "../bindings/generated/peak";
import { registerWasmKernels, unregisterWasmKernels } from "../bindings/tfjs-wasm/register";
import { setBackend } from "../src/backend";
import { resnet18 } from "../src/nets/resnet";
import { composedFilterGradConfig } from "./conv-baseline";

type Stem = "imagenet" | "cifar";
type Mode = "baseline" | "byol-ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const stems = arg("stems", "imagenet,cifar").split(",") as Stem[];
const batches = arg("batches", "64,128").split(",").map(Number);
const rounds = Number(arg("rounds", "2"));
const samples = Number(arg("samples", "4"));

/** Puts either kernel set in place on the wasm backend. */
function useKernels(mode: Mode): void {
  unregisterWasmKernels();
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) tf.unregisterKernel("Conv2DBackpropFilter", "wasm");
  if (mode === "baseline") tf.registerKernel(composedFilterGradConfig);
  else registerWasmKernels();
}

interface Workload {
  forward(): void;
  step(): void;
  dispose(): void;
}

/** A ResNet-18 in training mode on random images; the loss is the mean square of avgpool features. */
function workload(stem: Stem, batch: number): Workload {
  const model = resnet18({ inputSize: 28, channels: 3, stem, width: 64, seed: 1 });
  const x = tf.randomNormal([batch, 28, 28, 3], 0, 1, "float32", 1);
  const loss = () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
  return {
    forward: () => tf.tidy(() => void loss().dataSync()),
    step: () => tf.tidy(() => {
      const { grads } = tf.variableGrads(loss);
      Object.values(grads)[0].dataSync(); // wait for the whole backward pass
    }),
    dispose: () => {
      x.dispose();
      model.dispose();
    },
  };
}

/** Mean seconds per call with benchmark.js (few samples: a call takes seconds). */
function measure(fns: Record<string, () => void>): Record<string, number> {
  const out: Record<string, number> = {};
  const suite = new Benchmark.Suite();
  for (const [name, fn] of Object.entries(fns)) suite.add(name, fn, { minSamples: samples, maxTime: 1, initCount: 1 });
  suite.on("error", (e: Benchmark.Event) => {
    throw (e.target as unknown as { error: Error }).error;
  });
  suite.on("cycle", (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    out[b.name!] = b.stats.mean;
    console.error(`  ${b.name}: ${(b.stats.mean * 1000).toFixed(0)} ms ±${b.stats.rme.toFixed(0)}% (${b.stats.sample.length} runs)`);
  });
  suite.run();
  return out;
}

/** The single-core f32x4 mul+add peak (GFLOP/s) from assembly/peak.ts, best of 15 short runs (the machine is shared). */
function peakGflops(): number {
  const probe = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(peakWasm, "base64"))).exports.peak_mul_add as (iters: number, k: number, c: number) => number;
  probe(1e6, 0.999, 0.001);
  let best = 0;
  for (let r = 0; r < 15; r++) {
    const iters = 1e7;
    const t = performance.now();
    probe(iters, 0.999, 0.001);
    best = Math.max(best, (iters * 96) / ((performance.now() - t) / 1000) / 1e9);
  }
  return best;
}

/** Nominal FLOPs of a backward convolution from its profiled shapes (padding taps included: an upper bound). */
function convFlops(k: tf.TensorInfo & { name: string; inputShapes: number[][]; outputShapes: number[][] }): number {
  if (k.name === "Conv2DBackpropInput") {
    const [dy, filter] = k.inputShapes;
    return 2 * dy.reduce((a, b) => a * b) * filter[0] * filter[1] * filter[2];
  }
  const [, dy] = k.inputShapes;
  const f = k.outputShapes[0];
  return 2 * dy.reduce((a, b) => a * b) * f[0] * f[1] * f[2];
}

/** The distinct convolutions of a ResNet-18 at 28×28 (width 64), with how often each occurs. */
function resnetConvs(stem: Stem, batch: number): { name: string; x: number[]; k: number; cout: number; s: number; p: number; count: number }[] {
  const side = stem === "cifar" ? [28, 14, 7, 4] : [7, 4, 2, 1];
  const convs = [stem === "cifar"
    ? { name: "conv1 3×3", x: [batch, 28, 28, 3], k: 3, cout: 64, s: 1, p: 1, count: 1 }
    : { name: "conv1 7×7/2", x: [batch, 28, 28, 3], k: 7, cout: 64, s: 2, p: 3, count: 1 }];
  for (let i = 0; i < 4; i++) {
    const c = 64 << i;
    if (i > 0) {
      const prev = [batch, side[i - 1], side[i - 1], c / 2];
      convs.push({ name: `layer${i + 1}.0.conv1 /2`, x: prev, k: 3, cout: c, s: 2, p: 1, count: 1 });
      convs.push({ name: `layer${i + 1}.0.downsample`, x: prev, k: 1, cout: c, s: 2, p: 0, count: 1 });
    }
    convs.push({ name: `layer${i + 1} 3×3`, x: [batch, side[i], side[i], c], k: 3, cout: c, s: 1, p: 1, count: i > 0 ? 3 : 4 });
  }
  return convs;
}

/** Multiply-adds that do not read padding (what our kernels compute), times 2. */
function effectiveFlops(x: number[], k: number, cout: number, s: number, p: number): number {
  const out = (n: number) => Math.floor((n + 2 * p - k) / s) + 1;
  const valid = (n: number) => {
    let v = 0;
    for (let t = 0; t < k; t++) for (let o = 0; o < out(n); o++) if (o * s - p + t >= 0 && o * s - p + t < n) v++;
    return v;
  };
  return 2 * x[0] * valid(x[1]) * valid(x[2]) * x[3] * cout;
}

/** Each distinct convolution's byol-ts kernels alone: ms and effective GFLOP/s, peak re-measured beside each. */
function kernelTable(stem: Stem, batch: number): void {
  console.log(`\nper-convolution kernels, ${stem} stem, batch ${batch} (GFLOP/s count only non-padding taps; peak measured beside each row)\n`);
  console.log("| convolution | × | fwd ms | fwd GFLOP/s | dX ms | dX GFLOP/s | dW ms | dW GFLOP/s | peak |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  useKernels("byol-ts");
  const best = (f: () => void) => {
    f();
    let t = Infinity;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      f();
      t = Math.min(t, performance.now() - t0);
    }
    return t;
  };
  for (const c of resnetConvs(stem, batch)) {
    const x = tf.randomNormal(c.x as [number, number, number, number]) as tf.Tensor4D;
    const w = tf.randomNormal([c.k, c.k, c.x[3], c.cout]) as tf.Tensor4D;
    const pad = [[0, 0], [c.p, c.p], [c.p, c.p], [0, 0]] as [[0, 0], [number, number], [number, number], [0, 0]];
    const y = tf.conv2d(x, w, c.s, pad);
    const dy = tf.randomNormal(y.shape);
    const attrs = { strides: c.s, pad, dataFormat: "NHWC" };
    const run = (name: string, inputs: object, extra: object) => () => (tf.engine().runKernel(name, inputs as never, { ...attrs, ...extra } as never) as tf.Tensor).dispose();
    const fwd = best(() => tf.conv2d(x, w, c.s, pad).dispose());
    const dx = best(run("Conv2DBackpropInput", { dy, filter: w }, { inputShape: c.x }));
    const dw = best(run("Conv2DBackpropFilter", { x, dy }, { filterShape: w.shape }));
    const f = effectiveFlops(c.x, c.k, c.cout, c.s, c.p) / 1e6;
    const g = (ms: number) => (f / ms).toFixed(1);
    console.log(`| ${c.name} | ${c.count} | ${fwd.toFixed(1)} | ${g(fwd)} | ${dx.toFixed(1)} | ${g(dx)} | ${dw.toFixed(1)} | ${g(dw)} | ${peakGflops().toFixed(1)} |`);
    tf.dispose([x, w, y, dy]);
  }
}

interface KernelRow { name: string; ms: number; calls: number; gflops?: number }

/** Kernel times of one step; scopes (customGrad, op wrappers) are left out, so shares do not double count. */
async function profileStep(w: Workload): Promise<{ rows: KernelRow[]; total: number }> {
  const prof = await tf.profile(() => w.step());
  const by = new Map<string, { ms: number; calls: number; flops: number }>();
  for (const k of prof.kernels) {
    if (k.name.endsWith("__op") || k.name === "unnamed scope") continue;
    const e = by.get(k.name) ?? { ms: 0, calls: 0, flops: 0 };
    e.ms += k.kernelTimeMs as number;
    e.calls++;
    if (k.name.startsWith("Conv2DBackprop")) e.flops += convFlops(k as never);
    by.set(k.name, e);
  }
  const rows = [...by].map(([name, e]) => ({ name, ms: e.ms, calls: e.calls, gflops: e.flops ? e.flops / e.ms / 1e6 : undefined }));
  rows.sort((a, b) => b.ms - a.ms);
  return { rows, total: rows.reduce((s, r) => s + r.ms, 0) };
}

function printProfile(title: string, p: { rows: KernelRow[]; total: number }, peak: number): void {
  console.log(`\n${title} — kernel time ${p.total.toFixed(0)} ms\n`);
  console.log("| kernel | ms | share | calls | GFLOP/s (share of peak) |\n| --- | --- | --- | --- | --- |");
  for (const r of p.rows.slice(0, 12)) {
    const g = r.gflops ? `${r.gflops.toFixed(1)} (${((100 * r.gflops) / peak).toFixed(0)}%)` : "";
    console.log(`| ${r.name} | ${r.ms.toFixed(0)} | ${((100 * r.ms) / p.total).toFixed(1)}% | ${r.calls} | ${g} |`);
  }
}

async function main(): Promise<void> {
  const info = await setBackend("wasm");
  console.log(`backend: ${JSON.stringify(info)}; node ${process.version}`);
  const peak = peakGflops();
  console.log(`single-core f32x4 mul+add peak (assembly/peak.ts): ${peak.toFixed(1)} GFLOP/s`);
  if (process.argv.includes("--kernels")) {
    for (const stem of stems) kernelTable(stem, batches[0]);
    return;
  }
  console.log("\n| stem | batch | fwd baseline | fwd byol-ts | fwd+bwd baseline | fwd+bwd byol-ts | speed-up |\n| --- | --- | --- | --- | --- | --- | --- |");
  const lines: string[] = [];
  for (const stem of stems) {
    for (const batch of batches) {
      const w = workload(stem, batch);
      // two alternating rounds, best of each: the machine is shared, load drifts within minutes
      const t: Record<string, number> = {};
      for (let round = 0; round < rounds; round++) {
        for (const mode of ["baseline", "byol-ts"] as Mode[]) {
          useKernels(mode);
          console.error(`${stem} ${batch} ${mode} (round ${round + 1})`);
          for (const [k, v] of Object.entries(measure({ [`fwd ${mode}`]: w.forward, [`step ${mode}`]: w.step }))) t[k] = Math.min(t[k] ?? v, v);
        }
      }
      const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
      const line = `| ${stem} | ${batch} | ${ms(t["fwd baseline"])} | ${ms(t["fwd byol-ts"])} | ${ms(t["step baseline"])} | ${ms(t["step byol-ts"])} | ${(t["step baseline"] / t["step byol-ts"]).toFixed(2)}× |`;
      console.log(line);
      lines.push(line);
      if (batch === batches[0]) {
        for (const mode of ["baseline", "byol-ts"] as Mode[]) {
          useKernels(mode);
          printProfile(`profile: ${stem} stem, batch ${batch}, ${mode}`, await profileStep(w), peak);
        }
        console.log("\n| stem | batch | fwd baseline | fwd byol-ts | fwd+bwd baseline | fwd+bwd byol-ts | speed-up |\n| --- | --- | --- | --- | --- | --- | --- |");
      }
      w.dispose();
    }
  }
  useKernels("byol-ts");
  if (process.argv.includes("--cpu")) {
    await setBackend("cpu");
    const w = workload("imagenet", 64);
    const t0 = performance.now();
    w.step();
    console.log(`\ncpu backend, imagenet stem, batch 64: one fwd+bwd ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    w.dispose();
  }
  console.log(`\nsummary (peak re-measured at the end: ${peakGflops().toFixed(1)} GFLOP/s)\n${lines.join("\n")}`);
}

await main();
