// Relaxed SIMD (fused multiply-add) against SIMD (mul then add) on byol-ts' convolution kernels, in
// one process, the builds alternating call by call so that the machine's load falls on both alike:
// each case's forward, input gradient and filter gradient (tf.grads of a conv2d), median ms per build
// and the ratio simd / relaxed-simd (above 1: relaxed SIMD is faster). One kernel thread. With --step,
// instead the default run's training step on 2 kernel threads (benchStep), the builds alternating run by run.
//
//   npx tsx bench/relaxed.ts [--samples 9] [--step]
import { loadavg } from "node:os";
import * as tf from "@tensorflow/tfjs";
import type { KernelBuild } from "../bindings/loader";
import { setBackend } from "../src/backend";
import { benchStep } from "../src/bench/step";

const i = process.argv.indexOf("--samples");
const SAMPLES = i > 0 ? Number(process.argv[i + 1]) : 9;

// [batch, side, cin, cout, kernel, stride]: shapes of the default run's and a ResNet's convolutions
const CASES: [number, number, number, number, number, number][] = [
  [64, 28, 32, 32, 3, 1],
  [64, 14, 64, 64, 3, 1],
  [128, 7, 128, 128, 3, 1],
  [128, 8, 256, 256, 3, 2],
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function step([n, s, cin, cout, k, stride]: (typeof CASES)[number]): () => void {
  const x = tf.randomNormal([n, s, s, cin], 0, 1, "float32", 1) as tf.Tensor4D;
  const w = tf.randomNormal([k, k, cin, cout], 0, 1 / Math.sqrt(k * k * cin), "float32", 2) as tf.Tensor4D;
  const dy = tf.tidy(() => tf.randomNormal(tf.conv2d(x, w, stride, "same").shape, 0, 1, "float32", 3));
  return () => tf.tidy(() => {
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, "same"), dy)))([x, w]);
    dx.dataSync();
    dw.dataSync();
  });
}

const builds: KernelBuild[] = ["simd", "relaxed-simd"];
console.log(`load average before: ${loadavg().map((l) => l.toFixed(2)).join(" / ")}`);
if (process.argv.includes("--step")) {
  const ips: Record<string, number[]> = { simd: [], "relaxed-simd": [] };
  for (let s = 0; s < SAMPLES; s++) {
    for (const b of s % 2 ? [...builds].reverse() : builds) {
      const info = await setBackend("wasm", { kernelBuild: b, kernelThreads: 2 });
      const r = await benchStep("default", 2, { backend: info.name, build: info.kernelBuild ?? "none", helperBuild: info.helperBuild, threads: 2 });
      ips[b].push(r.imagesPerSecond);
      console.log(`  ${r.build} (helpers ${r.helperBuild}): ${r.imagesPerSecond.toFixed(2)} img/s, gradients ${r.phases.gradients.toFixed(0)} ms`);
    }
  }
  const [simd, relaxed] = builds.map((b) => median(ips[b]));
  console.log(`default step, 2 kernel threads: simd ${simd.toFixed(2)} img/s, relaxed-simd ${relaxed.toFixed(2)} img/s, relaxed / simd ${(relaxed / simd).toFixed(3)}`);
}
for (const c of process.argv.includes("--step") ? [] : CASES) {
  const times: Record<string, number[]> = { simd: [], "relaxed-simd": [] };
  await setBackend("wasm", { kernelBuild: "simd" });
  const run = step(c);
  for (const b of builds) {
    await setBackend("wasm", { kernelBuild: b });
    run(); // warm: compile and scratch
  }
  for (let s = 0; s < SAMPLES; s++) {
    for (const b of s % 2 ? [...builds].reverse() : builds) {
      await setBackend("wasm", { kernelBuild: b });
      const t0 = performance.now();
      run();
      times[b].push(performance.now() - t0);
    }
  }
  const [simd, relaxed] = builds.map((b) => median(times[b]));
  console.log(`conv ${c[4]}×${c[4]}/${c[5]} [${c[0]}, ${c[1]}, ${c[1]}, ${c[2]}] → ${c[3]}, forward + both gradients: simd ${simd.toFixed(1)} ms, relaxed-simd ${relaxed.toFixed(1)} ms, simd / relaxed ${(simd / relaxed).toFixed(3)}`);
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" / ")}`);
