// Soak: the default run for many steps on wasm, sampling every 100 steps what could grow — process
// RSS, tfjs tensors and bytes, tfjs-wasm's heap, byol-ts' kernel heap — and checking that after
// warm-up each stays within 5% of its value at the end of warm-up.
//
//   npx tsx bench/soak.ts [--steps 5000] [--threads 2] [--warmup 500] [--tiny]
//
// --tiny: a width-4 network, batch 16, on 2,048 images (the full test tier's 1,000-step version).
// Exits 1 when something grew.
import * as tf from "@tensorflow/tfjs";
import { kernels } from "../bindings/loader";
import { setBackend } from "../src/backend";
import { loadFashionMnist } from "../src/data/fashion-mnist";
import { DEFAULT_RUN, type RunConfig } from "../src/train/config";
import { buildLearner, createTrainer } from "../src/train/setup";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const tiny = process.argv.includes("--tiny");
const steps = arg("steps", 5000);
const warmup = arg("warmup", 500);
const run: RunConfig = tiny
  ? { ...DEFAULT_RUN, encoder: { ...DEFAULT_RUN.encoder, width: 4 }, batchSize: 16, projectionHiddenSize: 64, projectionSize: 32, limit: 2048, totalSteps: steps }
  : { ...DEFAULT_RUN, totalSteps: steps };

await setBackend("wasm", { kernelThreads: arg("threads", 2) });
const data = await loadFashionMnist({ split: "train", limit: run.limit || undefined });
const learner = await buildLearner(run);
const trainer = await createTrainer(run, learner, data);
const wasmHeap = () => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length;
const sample = () => {
  const m = tf.memory();
  return { step: trainer.steps, rssMB: process.memoryUsage().rss / 2 ** 20, tensors: m.numTensors, tensorMB: m.numBytes / 2 ** 20, wasmHeapMB: wasmHeap() / 2 ** 20, kernelHeapKB: kernels().heap.capacity / 1024, kernelInUseKB: kernels().heap.bytesInUse / 1024 };
};
const rows: ReturnType<typeof sample>[] = [];
const t0 = performance.now();
while (trainer.steps < steps) {
  await trainer.step();
  if (trainer.steps % 100 === 0) {
    rows.push(sample());
    console.log(JSON.stringify({ ...rows.at(-1), minutes: (performance.now() - t0) / 60_000 }));
  }
}
const base = rows.find((r) => r.step >= warmup) ?? rows[0];
const grew = (Object.keys(base) as (keyof typeof base)[]).filter((k) => k !== "step" && rows.some((r) => r.step >= base.step && r[k] > base[k] * 1.05 + 1e-9));
console.log(JSON.stringify({ done: true, steps, warmupEnd: base, last: rows.at(-1), grew }));
trainer.dispose();
learner.dispose();
process.exitCode = grew.length ? 1 : 0;
