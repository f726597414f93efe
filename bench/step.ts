// The full BYOL step (augment + forward + backward + optimizer + EMA), phase by phase, on wasm for
// (a) the byol-pytorch anchor's network (ResNet-18 width 64, torchvision stem, 28×28×3, batch 128,
// projection 256 / hidden 4096, Adam) and (b) DEFAULT_RUN as it is when this runs; on cpu for the
// tiny `byol bench` configuration only (tfjs' cpu filter gradient is very slow). The PyTorch anchor
// (bench/anchor/byol_step.py, 2 threads as in the reference figures, and 1 thread like ours) runs
// right before and after (a) so the ratio is from one run. The moving average over (a)'s
// parameters: in place vs tfjs ops, with benchmark.js.
// (a) runs with our convolution kernels on 1 and on 2 threads (`setBackend('wasm', {kernelThreads})`).
// Run: npx tsx bench/step.ts [--reps N] [--anchor-steps N] [--anchor-only]
import Benchmark from "benchmark";
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { emaBlendWasm } from "../bindings/tfjs-wasm/ema";
import { createAugmenter } from "../src/augment/augmenter";
import { setBackend } from "../src/backend";
import { BENCH_STEP_RUN, syntheticImages, timeSteps, type StepTimes } from "../src/cli/bench-suite";
import { policyOf } from "../src/cli/common";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner } from "../src/train/setup";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const REPS = arg("reps", 3);
const ANCHOR_STEPS = arg("anchor-steps", 6);

/** The byol-pytorch anchor's run (reference-figures.md) in our configuration terms. */
const ANCHOR_RUN: RunConfig = {
  ...DEFAULT_RUN,
  encoder: { arch: "resnet18", width: 64, stem: "imagenet" },
  imageSize: 28,
  channels: 3,
  projectionSize: 256,
  projectionHiddenSize: 4096,
  tauBase: 0.99,
  tauSchedule: "constant",
  optimizer: { name: "adam" },
  learningRate: 3e-4,
  warmupSteps: 0,
  batchSize: 128,
  augment: { preset: "byol-pytorch", cropScale: [0.08, 1] },
};

const load = () => loadavg().map((x) => x.toFixed(1)).join(" ");
const fmt = (t: StepTimes, batch: number) =>
  `augment ${t.augment.toFixed(1)} | grads ${t.gradients.toFixed(0)} | optimizer ${t.optimizer.toFixed(0)} | EMA ${t.ema.toFixed(1)} | total ${t.total.toFixed(0)} ms | ${((batch * 1000) / t.total).toFixed(1)} img/s`;

/** The PyTorch anchor's images/s with 2 and with 1 thread. */
function anchor(): Record<1 | 2, number> {
  const script = join(import.meta.dirname, "anchor", "byol_step.py");
  const ips = { 1: 0, 2: 0 };
  for (const threads of [2, 1] as const) {
    const run = spawnSync("/usr/bin/python3", [script, "--batch", "128", "--steps", String(ANCHOR_STEPS), "--threads", String(threads)], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`anchor failed: ${run.stderr}`);
    const out = JSON.parse(run.stdout.trim().split("\n").pop()!);
    console.log(`anchor (PyTorch ${out.torch}, ${threads} thread(s)): ${fmt({ ...out.ms, samples: ANCHOR_STEPS }, 128)}  [load ${load()}]`);
    ips[threads] = out.imagesPerSecond;
  }
  return ips;
}

/** Times `config` on the active backend; for (a) also the moving average in place vs tfjs ops. */
async function measure(label: string, config: RunConfig, reps: number, compareEma = false): Promise<StepTimes> {
  const learner = await buildLearner(config);
  const augmenter = await createAugmenter({ policy: policyOf(config), outSize: config.imageSize, channels: config.channels as 1 | 3, seed: config.seed });
  const data = syntheticImages(4 * config.batchSize, config.imageSize, config.channels);
  const t = timeSteps(learner, augmenter, data, config.batchSize, reps);
  console.log(`${label} [${tf.getBackend()}]: ${fmt(t, config.batchSize)}  (${reps} steps, load ${load()})`);
  if (compareEma) {
    const n = learner.networks;
    const pairs = [n.target!.encoder, n.target!.projector].flatMap((m, j) =>
      m.trainableWeights.map((w, i) => [w.read() as tf.Variable, [n.online.encoder!, n.online.projector][j].trainableWeights[i].read()] as const));
    const floats = pairs.reduce((s, [p]) => s + p.size, 0);
    const suite = new Benchmark.Suite();
    suite.add("EMA kernel (ema_blend_many)", () => {
      if (emaBlendWasm(pairs, 0.99).length) throw new Error("EMA kernel refused a parameter");
    }, { minSamples: 10, maxTime: 4 });
    suite.add("EMA tfjs ops", () => tf.tidy(() => pairs.forEach(([t, o]) => (t as tf.Variable).assign(tf.add(tf.mul(t, 0.99), tf.mul(o, 0.01))))), { minSamples: 10, maxTime: 4 });
    suite.on("cycle", (e: Benchmark.Event) => {
      const b = e.target as unknown as Benchmark;
      console.log(`  ${b.name}, ${(floats / 1e6).toFixed(2)}M floats in ${pairs.length} tensors: ${(b.stats.mean * 1000).toFixed(2)} ms ±${b.stats.rme.toFixed(1)}%`);
    });
    suite.run();
  }
  learner.dispose();
  return t;
}

console.log(`machine: load average ${load()} (1/5/15 min), ${process.version}`);
await setBackend("wasm");
const before = anchor();
const a1 = await measure("(a) anchor network, 1 kernel thread", ANCHOR_RUN, REPS, true);
await setBackend("wasm", { kernelThreads: 2 });
const a2 = await measure("(a) anchor network, 2 kernel threads", ANCHOR_RUN, REPS);
await setBackend("wasm");
const after = anchor();
for (const [kernelThreads, a] of [[1, a1], [2, a2]] as const) {
  const ours = (128 * 1000) / a.total;
  for (const threads of [2, 1] as const) {
    const mean = (before[threads] + after[threads]) / 2;
    console.log(`(a) wasm, ${kernelThreads} kernel thread(s): ${ours.toFixed(1)} img/s vs anchor with ${threads} thread(s) ${mean.toFixed(1)} img/s (mean of ${before[threads].toFixed(1)} before, ${after[threads].toFixed(1)} after): ${(ours / mean).toFixed(2)}×`);
  }
}

if (!process.argv.includes("--anchor-only")) {
  const c = DEFAULT_RUN;
  await measure(`(b) DEFAULT_RUN ${c.encoder.arch} w${c.encoder.width} ${c.encoder.stem}, ${c.imageSize}×${c.imageSize}×${c.channels}, batch ${c.batchSize}`, c, REPS);
  await measure("tiny (byol bench)", BENCH_STEP_RUN, REPS);
  await setBackend("cpu");
  await measure("tiny (byol bench)", BENCH_STEP_RUN, 2);
}
