// ResNet forward and forward+backward time (training-mode BatchNorm) per backend setup.
//
//   npx tsx bench/resnet.ts [--setups cpu,wasm,wasm-byol] [--depth 18] [--width 64] [--stems cifar,imagenet]
//                           [--size 28] [--batches 64,128]
//
// Ratios are against the first setup in the same run. A setup is a name and how to make tfjs
// ready: `wasm` = tfjs-wasm's own kernels, `wasm-byol` = with byol-ts' kernels; add rows to
// SETUPS to compare other kernel variants.
import Benchmark from "benchmark";
import * as tf from "@tensorflow/tfjs";
import { setBackend } from "../src/backend";
import { resnet, type ResNetDepth } from "../src/nets/resnet";

const SETUPS: Record<string, () => Promise<unknown>> = {
  cpu: () => setBackend("cpu"),
  wasm: () => setBackend("wasm", { tfjsKernelsOnly: true }),
  "wasm-byol": () => setBackend("wasm"),
};

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const list = (s: string) => s.split(",").filter(Boolean);

const setups = list(arg("setups", "cpu,wasm"));
const depth = Number(arg("depth", "18")) as ResNetDepth;
const width = Number(arg("width", "64"));
const stems = list(arg("stems", "cifar,imagenet")) as ("cifar" | "imagenet")[];
const size = Number(arg("size", "28"));
const batches = list(arg("batches", "64,128")).map(Number);
for (const s of setups) if (!SETUPS[s]) throw new Error(`unknown setup '${s}' (have ${Object.keys(SETUPS).join(", ")})`);

/**
 * Mean seconds per call, or the error that stopped it (e.g. a kernel the backend lacks). Calls
 * slower than 5 s (the cpu backend) are timed once after the warm-up instead of sampled.
 */
function time(name: string, fn: () => void): number | string {
  const once = () => {
    const t0 = performance.now();
    fn();
    return (performance.now() - t0) / 1000;
  };
  try {
    if (once() > 5) return once(); // warm-up, and fail fast
  } catch (e) {
    return `unsupported (${(e as Error).message.split("\n")[0].slice(0, 80)})`;
  }
  const bench = new Benchmark(name, fn, { minSamples: 3, maxTime: 2, initCount: 1 });
  bench.run();
  return bench.stats.mean;
}

type Row = { setup: string; stem: string; batch: number; forward: number | string; step: number | string };
const rows: Row[] = [];
for (const setup of setups) {
  await SETUPS[setup]();
  for (const stem of stems) {
    for (const batch of batches) {
      const model = resnet(depth, { inputSize: size, channels: 3, width, stem, seed: 1 });
      const x = tf.randomNormal([batch, size, size, 3], 0, 1, "float32", 2);
      const objective = () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
      const forward = time("forward", () => tf.tidy(() => void objective().dataSync()));
      const step = time("forward+backward", () => {
        const { value, grads } = tf.variableGrads(objective);
        Object.values(grads)[0].dataSync();
        tf.dispose([value, ...Object.values(grads)]);
      });
      rows.push({ setup, stem, batch, forward, step });
      console.error(`${setup} ${stem} batch ${batch}: forward ${detail(forward)}, forward+backward ${detail(step)}`);
      x.dispose();
      model.dispose();
    }
  }
}

function fmt(v: number | string): string {
  return typeof v === "number" ? `${(v * 1000).toFixed(0)} ms` : "unsupported";
}
/** Progress line: the time, or why it could not be measured. */
function detail(v: number | string): string {
  return typeof v === "number" ? fmt(v) : v;
}
function ratio(v: number | string, base: number | string | undefined): string {
  return typeof v === "number" && typeof base === "number" ? `${(base / v).toFixed(2)}×` : "—";
}

console.log(`\nResNet-${depth} width ${width}, ${size}×${size}×3, training-mode BN; speed-up vs ${setups[0]} (higher = faster)\n`);
console.log("| setup | stem | batch | forward | fwd+bwd | fwd+bwd img/s | forward vs base | fwd+bwd vs base |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  const base = rows.find((b) => b.setup === setups[0] && b.stem === r.stem && b.batch === r.batch);
  const ips = typeof r.step === "number" ? (r.batch / r.step).toFixed(0) : "—";
  console.log(`| ${r.setup} | ${r.stem} | ${r.batch} | ${fmt(r.forward)} | ${fmt(r.step)} | ${ips} | ${ratio(r.forward, base?.forward)} | ${ratio(r.step, base?.step)} |`);
}
