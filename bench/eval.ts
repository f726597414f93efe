// Baselines for the evaluation layer: kNN and linear probe on raw Fashion-MNIST pixels, full
// train (60k) as the bank / training set and the full test set (10k), on the wasm backend.
// Also times the bank layout the kNN uses (transposed once vs the transposeB flag of every matMul).
// `monitor` times the kNN monitor at the sizes a training run uses (512-d features).
// `projection` times the 3-D views (PCA of all 70k images, UMAP of 2k) and scores them by kNN.
// `linear-search` lets the probe choose λ among 1e-4, 1e-3, 1e-2 on a 10% validation split.
// Run: npx tsx bench/eval.ts [layout] [monitor] [projection] [knn] [linear] [linear-search]
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { knnAccuracy, linearProbeAccuracy, pca, umapEmbed, type Matrix } from "../src/eval";
import { loadFashionMnist } from "../src/node";

const parts = process.argv.slice(2);
const want = (p: string) => parts.length === 0 || parts.includes(p);

await tf.setBackend("wasm");
const pixels = (images: Uint8Array, n: number): Matrix => ({ data: Float32Array.from(images, (v) => v / 255), shape: [n, 784] });
const train = await loadFashionMnist({ split: "train", download: false });
const test = await loadFashionMnist({ split: "test", download: false });
const [xTrain, xTest] = [pixels(train.images, train.n), pixels(test.images, test.n)];
console.log(`Fashion-MNIST raw pixels: ${train.n} train, ${test.n} test, backend ${tf.getBackend()}`);

const timed = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const r = f();
  return [r, (performance.now() - t) / 1000];
};

if (want("layout")) {
  // Similarities of 500 test rows against a 10k bank, the inner step of the kNN monitor.
  const [queries, bank] = [tf.tensor2d(xTest.data.subarray(0, 500 * 784), [500, 784]), tf.tensor2d(xTrain.data.subarray(0, 10000 * 784), [10000, 784])];
  const bankT = tf.transpose(bank);
  const run = (f: () => tf.Tensor) => timed(() => {
    const r = f();
    r.dataSync();
    r.dispose();
  })[1];
  const median = (f: () => tf.Tensor) => [0, 1, 2, 3, 4].map(() => run(f)).sort((a, b) => a - b)[2];
  const flag = median(() => tf.matMul(queries, bank, false, true));
  const stored = median(() => tf.matMul(queries, bankT));
  console.log(`[500, 784] x [10000, 784]^T: transposeB flag ${(flag * 1000).toFixed(0)} ms, bank stored transposed ${(stored * 1000).toFixed(0)} ms (${(flag / stored).toFixed(1)}x)`);
  tf.dispose([queries, bank, bankT]);
}
if (want("monitor")) {
  for (const [bank, queries] of [[10000, 1000], [60000, 10000]]) {
    const f = 512;
    const features = (n: number): Matrix => ({ data: Float32Array.from({ length: n * f }, () => Math.random()), shape: [n, f] });
    const labels = Uint8Array.from({ length: bank }, (_, i) => i % 10);
    const [, s] = timed(() => knnAccuracy(features(bank), labels, features(queries), labels.subarray(0, queries), { numClasses: 10 }));
    console.log(`kNN monitor, 512-d, bank ${bank}, ${queries} queries: ${s.toFixed(1)} s`);
  }
}
if (want("projection")) {
  const [p, s] = timed(() => pca(xTrain, 3));
  const ratio = Array.from(p.explainedVarianceRatio, (v) => (v * 100).toFixed(1)).join(" + ");
  console.log(`PCA to 3-D of ${train.n} × 784: ${s.toFixed(1)} s, explained variance ${ratio}%`);
  const m = 2000;
  const sample: Matrix = { data: xTrain.data.subarray(0, m * 784), shape: [m, 784] };
  const [u, su] = timed(() => umapEmbed(sample, { dims: 3, seed: 0 }));
  // how well each 3-D view keeps classes apart: kNN of the last 500 points against the first 1500
  const split = (e: Matrix, from: number, to: number): Matrix => ({ data: e.data.subarray(from * 3, to * 3), shape: [to - from, 3] });
  const pcaSample: Matrix = { data: p.projected.data.subarray(0, m * 3), shape: [m, 3] };
  const score = (e: Matrix) => knnAccuracy(split(e, 0, 1500), train.labels.subarray(0, 1500), split(e, 1500, m), train.labels.subarray(1500, m), { k: 20, numClasses: 10 });
  console.log(`UMAP to 3-D of ${m} × 784: ${su.toFixed(1)} s; kNN (k 20) in 3-D: UMAP ${(score(u) * 100).toFixed(1)}%, PCA ${(score(pcaSample) * 100).toFixed(1)}%`);
}
if (want("knn")) {
  for (const temperature of [0.1, 0.07]) {
    const [acc, s] = timed(() => knnAccuracy(xTrain, train.labels, xTest, test.labels, { k: 200, temperature, numClasses: 10 }));
    console.log(`kNN k=200 T=${temperature}: ${(acc * 100).toFixed(2)}%  (${s.toFixed(1)} s)`);
  }
}
if (want("linear")) {
  for (const l2 of [1e-4, 1e-3]) {
    const [r, s] = timed(() => linearProbeAccuracy(xTrain, train.labels, xTest, test.labels, { numClasses: 10, l2 }));
    console.log(`linear probe l2=${l2}: test ${(r.accuracy * 100).toFixed(2)}%, train ${(r.trainAccuracy * 100).toFixed(2)}%, ` +
      `${r.probe.iterations} iterations, loss ${r.probe.loss.toFixed(4)}, ${r.probe.stopReason}  (${s.toFixed(1)} s)`);
  }
}
if (parts.includes("linear-search")) {
  const [r, s] = timed(() => linearProbeAccuracy(xTrain, train.labels, xTest, test.labels, { numClasses: 10, l2: [1e-4, 1e-3, 1e-2] }));
  const search = r.probe.l2Search!.map((c) => `${c.l2}: ${(c.validationAccuracy * 100).toFixed(2)}%`).join(", ");
  console.log(`linear probe, λ chosen on validation (${search}) = ${r.probe.l2}: test ${(r.accuracy * 100).toFixed(2)}%, ` +
    `${r.probe.iterations} iterations, ${r.probe.stopReason}  (${s.toFixed(1)} s)`);
}
