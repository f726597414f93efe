// Run by test/core-only.test.ts in a process of its own: byol-ts from its sources with tfjs-core,
// tfjs-layers and a backend package only, as an app bundling byol-ts has them — never the
// @tensorflow/tfjs umbrella, whose import registers chained tensor ops (x.mul(y)) that tfjs-core
// alone does not. Gradients, a trainer's steps per optimizer and an embed on cpu, the same on wasm
// with adam (byol-ts' kernels), and a linear probe and kNN on the embeddings; prints a JSON report as
// its last line.
// With --umbrella it imports the umbrella first and only reports (the test's check sees it).
import { createRequire } from "node:module";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import type { OptimizerConfig } from "../src/index";

if (process.argv.includes("--umbrella")) await import("@tensorflow/tfjs");
const tf = await import("@tensorflow/tfjs-core");
const { BYOL, setBackend, smallCnn, Trainer } = await import("../src/index");
const { fitLinearProbe, knnPredict, predictLinearProbe } = await import("../src/eval/index");

const SIZE = 16, BATCH = 4;
const views = (seed: number) => [0, 1].map((k) => tf.randomNormal([BATCH, SIZE, SIZE, 1], 0, 1, "float32", seed + k) as Tensor4D);

/** Gradients of two random views, then a trainer's two steps (augmentation, the optimizer, the target's moving average), then an embed. */
async function step(optimizer: OptimizerConfig) {
  const learner = await BYOL.create({ encoder: smallCnn({ inputSize: SIZE, channels: 1, width: 4, seed: 1 }), imageSize: SIZE, channels: 1, projectionSize: 8, projectionHiddenSize: 16, seed: 1 });
  const [v1, v2] = views(1);
  const { loss, grads, monitors } = learner.computeGradients(v1, v2);
  const gradientLoss = loss.dataSync()[0];
  const finiteGrads = grads.every((g) => tf.all(tf.isFinite(g)).dataSync()[0] === 1);
  tf.dispose([loss, ...grads, monitors, v1, v2]);
  const images = Uint8Array.from({ length: 2 * BATCH * SIZE * SIZE }, (_, i) => (i * 37) % 256);
  const trainer = await Trainer.create({ learner, data: { images, n: 2 * BATCH, height: SIZE, width: SIZE, channels: 1, classes: [] }, batchSize: BATCH, totalSteps: 2, optimizer, learningRate: 1e-2 });
  await trainer.step();
  const { loss: trainLoss } = await trainer.step(); // after an update
  trainer.dispose();
  const batch = tf.randomNormal([2 * BATCH, SIZE, SIZE, 1], 0, 1, "float32", 3) as Tensor4D;
  const { representation } = await learner.embed(batch);
  batch.dispose();
  const weightsFinite = learner.parameters.every((p) => tf.all(tf.isFinite(p.variable)).dataSync()[0] === 1);
  learner.dispose();
  return { loss: gradientLoss, trainLoss, finiteGrads, weightsFinite, representation };
}

const report: Record<string, unknown> = {};
if (!process.argv.includes("--umbrella")) report.cpu = (await setBackend("cpu")).name;
// a tensor has chained methods only if something registered them
report.chained = typeof (tf.scalar(1) as unknown as { mul?: unknown }).mul === "function";
if (!process.argv.includes("--umbrella")) {
  const runs: Record<string, unknown> = {};
  let representation: Float32Array = new Float32Array();
  for (const optimizer of [{ name: "adam", weightDecay: 1e-4 }, { name: "lars", weightDecay: 1e-4 }, { name: "sgd", nesterov: true, weightDecay: 1e-4 }] as const) {
    const r = await step(optimizer);
    representation = r.representation;
    runs[optimizer.name] = { loss: r.loss, trainLoss: r.trainLoss, finiteGrads: r.finiteGrads, weightsFinite: r.weightsFinite, embedFinite: r.representation.every(Number.isFinite) };
  }
  report.runs = runs;
  const rows = 2 * BATCH, features = tf.tensor2d(representation, [rows, representation.length / rows]);
  const labels = Int32Array.from({ length: rows }, (_, i) => i % 2);
  report.probe = predictLinearProbe(fitLinearProbe(features, labels), features).length;
  report.knn = knnPredict(features, labels, features, { k: 3 }).length;
  features.dispose();
  report.wasm = (await setBackend("wasm")).kernels;
  report.wasmLoss = (await step({ name: "adam" })).trainLoss;
}
report.tfjsModules = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("@tensorflow")).map((f) => f.slice(f.lastIndexOf("@tensorflow")));
console.log(JSON.stringify(report));
