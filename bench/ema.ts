// EMA over a ResNet-18's worth of parameters (11.7M floats): our kernel (SIMD and scalar, in kernel
// memory and with the copies a Float32Array caller pays), a plain JS loop, tfjs ops on the cpu and
// wasm backends, against the physical limit Float32Array.prototype.set of the same floats.
// Run: npx tsx bench/ema.ts
import Benchmark from "benchmark";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { EmaBuffers, emaBlend } from "../bindings/ema";
import { initKernels } from "../bindings/loader";

const N = 11_689_512; // ResNet-18 parameters
const TAU = 0.996;
const EMA_BYTES = 12 * N; // read target, read online, write target
const SET_BYTES = 8 * N; // read source, write destination

function filled(seed: number): Float32Array {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = Math.sin(i * 0.001 + seed);
  return x;
}

const target = filled(1);
const online = filled(2);
const copy = new Float32Array(N);

function jsLoop(t: Float32Array, o: Float32Array, tau: number): void {
  const a = 1 - tau;
  for (let i = 0; i < t.length; i++) t[i] = tau * t[i] + a * o[i];
}

/** tfjs' own way: a new target tensor per step (what a tfjs-only trainer runs). */
function tfjsCase(backend: string): () => void {
  let t: tf.Tensor | null = null;
  let o: tf.Tensor | null = null;
  return () => {
    if (tf.getBackend() !== backend) throw new Error(`expected backend ${backend}`);
    t ??= tf.tensor1d(target);
    o ??= tf.tensor1d(online);
    const next = tf.tidy(() => tf.add(tf.mul(t!, TAU), tf.mul(o!, 1 - TAU)));
    t.dispose();
    t = next;
  };
}

/** A timed case: its name, one EMA (or copy) over N floats, and the bytes it moves. */
type Case = [name: string, fn: () => void, bytes: number];

interface Row { name: string; ms: number; gbs: number }
const rows: Row[] = [];

/** Times the cases one after another (synchronously) and records ms and GB/s. */
function run(cases: Case[]): void {
  const s = new Benchmark.Suite();
  for (const [name, fn] of cases) s.add(name, fn, { minSamples: 8, maxTime: 3 });
  s.on("cycle", (e: Benchmark.Event) => {
    const b = e.target as unknown as Benchmark;
    const bytes = cases.find(([name]) => name === b.name)![2];
    rows.push({ name: b.name!, ms: b.stats.mean * 1000, gbs: bytes / b.stats.mean / 1e9 });
    console.log(`${b.name}: ${(b.stats.mean * 1000).toFixed(2)} ms ±${b.stats.rme.toFixed(1)}% (${rows[rows.length - 1].gbs.toFixed(2)} GB/s)`);
  });
  s.run({ async: false });
}

/**
 * GB/s of `ema` over GB/s of set(), timed in alternation (5 calls each, 15 rounds) and taking the
 * median round, so load from other processes hits both sides alike.
 */
function pairedFraction(ema: () => void): number {
  const time = (fn: () => void) => {
    const t0 = performance.now();
    for (let k = 0; k < 5; k++) fn();
    return performance.now() - t0;
  };
  const ratios: number[] = [];
  for (let round = 0; round < 15; round++) {
    const set = time(() => copy.set(target));
    ratios.push((EMA_BYTES / time(ema)) / (SET_BYTES / set));
  }
  return ratios.sort((a, b) => a - b)[7];
}

async function kernelCases(build: "simd" | "scalar"): Promise<Case[]> {
  await initKernels({ build });
  const buffers = new EmaBuffers([N]);
  buffers.targetView(0).set(target);
  buffers.onlineView(0).set(online);
  const t = target.slice();
  emaBlend(t, online, TAU); // staging reaches full size before timing
  return [
    [`kernel ${build}, in kernel memory`, () => buffers.blend(TAU), EMA_BYTES],
    [`kernel ${build}, Float32Arrays (copies in and out)`, () => emaBlend(t, online, TAU), EMA_BYTES],
  ];
}

async function main(): Promise<void> {
  console.log(`EMA over ${N} floats, tau ${TAU}; GB/s count ${EMA_BYTES / N} bytes per float (set(): ${SET_BYTES / N})`);
  const limit = (when: string): Case => [`Float32Array.prototype.set (${when})`, () => copy.set(target), SET_BYTES];
  run([limit("first")]);
  const simd = await kernelCases("simd");
  run(simd);
  const paired = pairedFraction(simd[0][1]);
  run([limit("after the SIMD kernel")]);
  run(await kernelCases("scalar"));
  const t = target.slice();
  run([["plain JS loop", () => jsLoop(t, online, TAU), EMA_BYTES]]);
  await tf.setBackend("cpu");
  run([["tfjs ops, cpu backend", tfjsCase("cpu"), EMA_BYTES]]);
  await tf.setBackend("wasm");
  run([["tfjs ops, wasm backend", tfjsCase("wasm"), EMA_BYTES]]);
  run([limit("last")]);

  // the best set() of the run is the bound: load from other processes only lowers it
  const best = Math.max(...rows.filter((r) => r.name.startsWith("Float32Array")).map((r) => r.gbs));
  const find = (prefix: string) => rows.find((r) => r.name.startsWith(prefix))!;
  const tfWasm = find("tfjs ops, wasm");
  const tfCpu = find("tfjs ops, cpu");
  console.log("\n| case | ms | GB/s | × best set() GB/s | speed vs tfjs wasm | speed vs tfjs cpu |\n| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.ms.toFixed(2)} | ${r.gbs.toFixed(2)} | ${(r.gbs / best).toFixed(2)} | ${(tfWasm.ms / r.ms).toFixed(2)} | ${(tfCpu.ms / r.ms).toFixed(2)} |`);
  }
  console.log(`\nSIMD kernel in kernel memory vs set(), timed in alternation (median of 15 rounds): ${paired.toFixed(2)} of set()'s GB/s`);
}

await main();
