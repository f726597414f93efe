// Where a training step's gradient time goes, by tfjs kernel: tf.profile of the learner's
// computeGradients (forward of both views through online and target, loss, backward) on wasm,
// averaged over 3 calls after 2 warm-ups. Scopes (`fusedConv2d__op`, customGrad's `unnamed scope`)
// contain kernels listed on their own, so shares of kernels alone do not double count.
//
//   npx tsx bench/profile-step.ts [default|anchor] [--threads N]
import * as tf from "@tensorflow/tfjs";
import { setBackend } from "../src/backend";
import { STEP_CONFIGS } from "../src/bench/step";
import { buildLearner, disposeLearner } from "../src/train/setup";

const name = (process.argv[2] ?? "default") as keyof typeof STEP_CONFIGS;
const config = STEP_CONFIGS[name];
if (!config) throw new Error(`usage: npx tsx bench/profile-step.ts [${Object.keys(STEP_CONFIGS).join("|")}] [--threads N]`);
const t = process.argv.indexOf("--threads");
await setBackend("wasm", { kernelThreads: t > 0 ? Number(process.argv[t + 1]) : 2 });
const learner = await buildLearner(config);
const shape: [number, number, number, number] = [config.batchSize, config.imageSize, config.imageSize, config.channels];
const [v1, v2] = [1, 2].map((seed) => tf.randomNormal(shape, 0, 1, "float32", seed) as tf.Tensor4D);
const gradients = () => {
  const g = learner.computeGradients(v1, v2);
  g.loss.dataSync();
  tf.dispose([g.loss, g.monitors, ...g.grads]);
};
gradients();
gradients();
const rows = new Map<string, { ms: number; calls: number }>();
const wall: number[] = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const profile = await tf.profile(gradients);
  wall.push(performance.now() - t0);
  for (const k of profile.kernels) {
    const row = rows.get(k.name) ?? { ms: 0, calls: 0 };
    row.ms += (k.kernelTimeMs as number) / 3;
    row.calls += 1 / 3;
    rows.set(k.name, row);
  }
}
const isScope = (n: string) => n.endsWith("__op") || n === "unnamed scope";
const kernelMs = [...rows].filter(([n]) => !isScope(n)).reduce((s, [, r]) => s + r.ms, 0);
console.log(`${name}: computeGradients ${(wall.reduce((a, b) => a + b) / 3).toFixed(0)} ms wall (profiled), kernels ${kernelMs.toFixed(0)} ms`);
for (const [n, r] of [...rows].sort((a, b) => b[1].ms - a[1].ms).slice(0, 24)) {
  const share = isScope(n) ? "scope" : `${((100 * r.ms) / kernelMs).toFixed(1)}%`;
  console.log(`${n.padEnd(24)} ${r.ms.toFixed(1).padStart(7)} ms ${share.padStart(6)} ${r.calls.toFixed(0).padStart(5)} calls`);
}
tf.dispose([v1, v2]);
disposeLearner(learner);
