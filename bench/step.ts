// A BYOL step against PyTorch, measured honestly in one run: for the anchor network (ResNet-18 w64,
// torchvision stem, 28×28×3, batch 128: byol-pytorch's step, bench/anchor/byol_step.py) and for
// DEFAULT_RUN (PyTorch with the same layers), PyTorch on 2 threads runs right before and right after
// byol-ts on wasm (1 and 2 kernel threads), each in a process of its own; a ratio is printed only when the machine was quiet
// (1-minute load ≤ 1.0 sampled before the first run) and PyTorch's before/after runs agree within
// 20% and its matmul runs on a real BLAS — otherwise the script says why and prints none. The EMA kernel vs tfjs ops, with benchmark.js.
// Run: npx tsx bench/step.ts [--reps N] [--anchor-steps N] [--only anchor|default]
import Benchmark from "benchmark";
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { emaBlendWasm } from "../bindings/tfjs-wasm/ema";
import { setBackend } from "../src/backend";
import { machineInfo, STEP_CONFIGS, type StepReport } from "../src/bench/step";
import { BYOL } from "../src/byol";
import { buildLearner } from "../src/train/setup";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const REPS = Number(arg("reps", "3"));
const ANCHOR_STEPS = Number(arg("anchor-steps", "6"));
const ONLY = arg("only", "");
const MAX_LOAD = 1.0;
const MAX_DRIFT = 0.2;
/** Below this, PyTorch's matmul runs on Debian's reference BLAS (~3 GFLOP/s here; OpenBLAS ~75). */
const MIN_BLAS_GFLOPS = 20;
/**
 * The anchor's PyTorch step in the reference figures (shared reference-figures.md: 151–172 img/s at
 * batch 128 on 2 threads); far below on a quiet machine, the reference is broken, not slow.
 */
const MIN_ANCHOR_TORCH = 100;
let slowestBlas = Infinity;

const load1 = () => loadavg()[0];
const phases = (p: StepReport["phases"]) => `augment ${p.augment.toFixed(1)} | grads ${p.gradients.toFixed(0)} | optimizer ${p.optimizer.toFixed(0)} | EMA ${p.ema.toFixed(1)} | total ${p.total.toFixed(0)} ms`;

/** PyTorch's step for `name` with the same layers and batch, 2 threads: images/s. */
function pytorch(name: keyof typeof STEP_CONFIGS): number {
  const c = STEP_CONFIGS[name];
  const net = c.encoder.arch === "small-cnn"
    ? ["--net", "small-cnn", "--width", String(c.encoder.width), "--stages", String(c.encoder.stages ?? 2), "--depth", String(c.encoder.depth ?? 1),
      "--grid", String(/^grid(\d)$/.exec(c.tap ?? "")?.[1] ?? 0)]
    : ["--net", "resnet18"];
  const args = [join(import.meta.dirname, "anchor", "byol_step.py"), ...net, "--batch", String(c.batchSize), "--hidden", String(c.projectionHiddenSize), "--proj", String(c.projectionSize), "--steps", String(ANCHOR_STEPS), "--threads", "2"];
  const run = spawnSync("/usr/bin/python3", args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`PyTorch step failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout.trim().split("\n").pop()!);
  console.log(`  PyTorch ${out.torch}, 2 threads: ${phases(out.ms)} | ${out.imagesPerSecond.toFixed(1)} img/s, matmul ${out.matmulGflops.toFixed(1)} GFLOP/s, layer4 weight gradient ${out.layer4WgradGflops.toFixed(1)} GFLOP/s  [load ${loadavg()[0].toFixed(2)}]`);
  slowestBlas = Math.min(slowestBlas, out.matmulGflops);
  return out.imagesPerSecond;
}

/**
 * byol-ts' step in a process of its own (`byol bench --step --json`), as PyTorch's runs in its own:
 * a run after others in one process measured 10–35% slower than the same run alone.
 */
function byolTs(name: keyof typeof STEP_CONFIGS, threads: number): StepReport {
  const cli = join(import.meta.dirname, "..", "src", "cli", "main.ts");
  const args = ["--import", "tsx", cli, "bench", "--step", name, "--backend", "wasm", "--threads", String(threads), "--reps", String(REPS), "--json"];
  const run = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (run.status !== 0) throw new Error(`byol bench --step ${name} failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as StepReport;
}

const machine = machineInfo();
const quiet = load1() <= MAX_LOAD;
console.log(`machine: ${machine.cpu} (${machine.cores} cores; ${machine.cpuFlags.join(" ")}), Node ${machine.node}, ${new Date().toISOString()}`);
console.log(`load average before the first run: ${machine.load.join(" / ")} (1/5/15 min)${quiet ? "" : ` — above ${MAX_LOAD}: something else is running, no ratio will be printed`}`);
const summary: Record<string, unknown>[] = [];
for (const name of ["anchor", "default"] as const) {
  if (ONLY && ONLY !== name) continue;
  const c = STEP_CONFIGS[name];
  console.log(`\n${name}: ${c.encoder.arch} w${c.encoder.width} ${c.encoder.stem} (${c.tap ?? "avgpool"}), ${c.imageSize}×${c.imageSize}×${c.channels}, batch ${c.batchSize}, heads ${c.projectionHiddenSize}→${c.projectionSize}`);
  const before = pytorch(name);
  const ours: StepReport[] = [];
  for (const threads of [1, 2]) {
    const r = byolTs(name, threads);
    console.log(`  byol-ts wasm, ${threads} kernel thread(s): ${phases(r.phases)} | ${r.imagesPerSecond.toFixed(1)} img/s  [load ${r.load[0].toFixed(2)}]`);
    ours.push(r);
  }
  const after = pytorch(name);
  const drift = Math.abs(before - after) / ((before + after) / 2);
  const reference = (before + after) / 2;
  const why = !quiet ? `the machine was not quiet (load ${machine.load[0]} > ${MAX_LOAD})`
    : drift > MAX_DRIFT ? `PyTorch's before/after runs differ by ${(100 * drift).toFixed(0)}% (> ${100 * MAX_DRIFT}%)`
    : slowestBlas < MIN_BLAS_GFLOPS ? `PyTorch's matmul ran at ${slowestBlas.toFixed(1)} GFLOP/s (< ${MIN_BLAS_GFLOPS}): a reference BLAS, not the anchor (apt-get install libopenblas0-pthread)`
    : name === "anchor" && reference < MIN_ANCHOR_TORCH ? `PyTorch's anchor step ran at ${reference.toFixed(1)} img/s, far below the reference figures' 151–172: not the anchor of those figures (on this VM its last stages' weight gradients run on oneDNN's memory-bound GEMM path, the 'layer4 weight gradient' above; bench/RESULTS.md)`
    : null;
  const ratio = why ? null : ours[1].imagesPerSecond / reference;
  console.log(why ? `  no ratio: ${why}` : `  byol-ts (2 kernel threads) / PyTorch (2 threads): ${ratio!.toFixed(2)}× (PyTorch ${before.toFixed(1)} before, ${after.toFixed(1)} after)`);
  summary.push({ config: name, pytorch: { before, after }, byolTs: ours.map((r) => ({ threads: r.threads, imagesPerSecond: r.imagesPerSecond, phases: r.phases })), ratio, noRatioBecause: why });
}

if (!ONLY || ONLY === "anchor") {
  // the moving average over the anchor's target/online pairs: the kernel vs tfjs ops
  await setBackend("wasm");
  const learner = await buildLearner(STEP_CONFIGS.anchor);
  if (!(learner instanceof BYOL)) throw new Error(`the anchor run trains ${learner.method}, not BYOL: it has no moving average`);
  const n = learner.networks;
  const pairs = [n.target!.encoder, n.target!.projector].flatMap((m, j) =>
    m.trainableWeights.map((w, i) => [w.read() as tf.Variable, [n.online.encoder!, n.online.projector][j].trainableWeights[i].read()] as const));
  const floats = pairs.reduce((s, [p]) => s + p.size, 0);
  const suite = new Benchmark.Suite();
  suite.add("EMA kernel (ema_blend_many into fresh tensors)", () => {
    if (emaBlendWasm(pairs, 0.99).length) throw new Error("EMA kernel refused a parameter");
  }, { minSamples: 10, maxTime: 4 });
  suite.add("EMA tfjs ops", () => tf.tidy(() => pairs.forEach(([t, o]) => t.assign(tf.add(tf.mul(t, 0.99), tf.mul(o, 0.01))))), { minSamples: 10, maxTime: 4 });
  suite.on("cycle", (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    console.log(`  ${b.name}, ${(floats / 1e6).toFixed(2)}M floats in ${pairs.length} tensors: ${(b.stats.mean * 1000).toFixed(2)} ms ±${b.stats.rme.toFixed(1)}%`);
  });
  suite.run();
  learner.dispose();
}
console.log(JSON.stringify({ machine, summary }));
