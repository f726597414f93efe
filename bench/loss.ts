// BYOL loss forward + backward at B = 256, D = 256: our kernel (value and both gradients in one
// call, SIMD and scalar, on Float32Arrays and as the tfjs op byolLossTensor) against tfjs ops with
// autodiff on the cpu and wasm backends.
// Run: npx tsx bench/loss.ts
import Benchmark from "benchmark";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { initKernels } from "../bindings/loader";
import { byolLoss } from "../bindings/loss";
import { byolLossTensor, type LossImpl } from "../src/loss";

const B = 256;
const D = 256;

function randomRows(seed: number): Float32Array {
  const x = new Float32Array(B * D);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 12.9898 + seed * 78.233) * 2;
  return x;
}

const inputs = [1, 2, 3, 4].map(randomRows); // q1, z2, q2, z1

/** Loss value and gradients w.r.t. q1 and q2 as a learner runs it: tensors in, tensors out. */
function tfjsStep(impl: LossImpl): () => void {
  let xs: tf.Tensor2D[] | null = null;
  const f = (q1: tf.Tensor, q2: tf.Tensor) => byolLossTensor(q1 as tf.Tensor2D, xs![1], q2 as tf.Tensor2D, xs![3], { impl });
  return () => {
    xs ??= inputs.map((x) => tf.tensor2d(x, [B, D]));
    tf.tidy(() => {
      const { value, grads } = tf.valueAndGrads(f)([xs![0], xs![2]]);
      value.dataSync();
      grads.forEach((g) => g.dataSync());
    });
  };
}

interface Row { name: string; ms: number }
const rows: Row[] = [];

function run(cases: Array<[string, () => void]>): void {
  const s = new Benchmark.Suite();
  for (const [name, fn] of cases) s.add(name, fn, { minSamples: 20, maxTime: 2 });
  s.on("cycle", (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    rows.push({ name: b.name!, ms: b.stats.mean * 1000 });
    console.log(`${b.name}: ${(b.stats.mean * 1000).toFixed(3)} ms ±${b.stats.rme.toFixed(1)}%`);
  });
  s.run({ async: false });
}

async function main(): Promise<void> {
  console.log(`BYOL loss, forward + backward (both directions, gradients for q1 and q2), B = ${B}, D = ${D}`);
  for (const build of ["scalar", "simd"] as const) {
    await initKernels({ build });
    run([[`kernel ${build}, Float32Arrays`, () => byolLoss(inputs[0], inputs[1], inputs[2], inputs[3], B, D)]]);
  }
  for (const backend of ["cpu", "wasm"] as const) {
    await tf.setBackend(backend);
    run([
      [`tfjs ops + autodiff, ${backend} backend`, tfjsStep("tfjs")],
      [`byolLossTensor (kernel SIMD), ${backend} backend`, tfjsStep("kernel")],
    ]);
  }
  const base = (backend: string) => rows.find((r) => r.name === `tfjs ops + autodiff, ${backend} backend`)!.ms;
  console.log("\n| case | ms | speed vs tfjs wasm | speed vs tfjs cpu |\n| --- | ---: | ---: | ---: |");
  for (const r of rows) console.log(`| ${r.name} | ${r.ms.toFixed(3)} | ${(base("wasm") / r.ms).toFixed(2)} | ${(base("cpu") / r.ms).toFixed(2)} |`);
}

await main();
