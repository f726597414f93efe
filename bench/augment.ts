// Both BYOL views of a batch of 256 under the paper's policy, per-sample parameters, at 28×28×1,
// 32×32×3 and 96×96×3: our kernels (SIMD and scalar builds) against the plain-TS reference of the
// same ops and against the closest tfjs pipeline (cropAndResize, flip, jitter arithmetic, grayscale,
// one blur σ per batch as two 1-D depthwiseConv2d, solarize, normalize) on the cpu and wasm backends.
// Run: npx tsx bench/augment.ts [sizes…, e.g. 28x1 32x3]
import Benchmark from "benchmark";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import type { KernelViewPolicy, SampleParams } from "../bindings/augment";
import { initKernels } from "../bindings/loader";
import { byolPaper, createAugmenter, resolveViewPolicy } from "../src/augment";
import { augmentReference, drawReference } from "../dev/augment-reference";
import { uniformGenerator as rng } from "../src/util/random";

const BATCH = 256;
const POOL = 1024; // dataset size the batches index into

interface Size { side: number; channels: 1 | 3 }
const ALL: Size[] = [{ side: 28, channels: 1 }, { side: 32, channels: 3 }, { side: 96, channels: 3 }];

/** Plain TS: draw and apply both views image by image. */
function plainTs(data: Uint8Array, s: Size, policies: KernelViewPolicy[], indices: number[], random: () => number): Float32Array[] {
  const size = s.side * s.side * s.channels;
  return policies.map((policy) => {
    const out = new Float32Array(indices.length * size);
    indices.forEach((idx, i) => {
      const img = { data: Float32Array.from(data.subarray(idx * size, (idx + 1) * size), (v) => v / 255), h: s.side, w: s.side, c: s.channels };
      out.set(augmentReference(img, drawReference(policy, s.side, s.side, random), policy, s.side, s.side).data, i * size);
    });
    return out;
  });
}

/** The 1-D gaussian of one σ as a depthwise filter along rows ([k, 1, c, 1]) or columns ([1, k, c, 1]). */
function blurFilter(k: number, sigma: number, c: number, vertical: boolean): tf.Tensor4D {
  const g = Array.from({ length: k }, (_, i) => Math.exp(-0.5 * ((i - (k - 1) / 2) / sigma) ** 2));
  const sum = g.reduce((a, b) => a + b, 0);
  return tf.tensor4d(g.flatMap((v) => Array<number>(c).fill(v / sum)), vertical ? [k, 1, c, 1] : [1, k, c, 1]);
}

/** One view with tfjs ops: per-sample crops, flips, factors and masks; one blur σ per batch; no hue, fixed jitter order. */
function tfjsView(images: tf.Tensor4D, s: Size, policy: KernelViewPolicy, params: SampleParams[], indices: tf.Tensor1D): tf.Tensor4D {
  return tf.tidy(() => {
    const H = s.side - 1;
    const boxes = tf.tensor2d(params.map(({ crop: b }) => [b.top / H, b.left / H, (b.top + b.height - 1) / H, (b.left + b.width - 1) / H]));
    let v: tf.Tensor = tf.image.cropAndResize(images, boxes, indices, [s.side, s.side], "bilinear");
    const mask = (f: (q: SampleParams) => boolean) => tf.broadcastTo(tf.tensor4d(params.map((q) => (f(q) ? 1 : 0)), [params.length, 1, 1, 1], "bool"), v.shape as number[]);
    const factor = (f: (q: SampleParams) => number) => tf.tensor4d(params.map(f), [params.length, 1, 1, 1]);
    v = tf.where(mask((q) => q.flip), tf.reverse(v, 2), v);
    const grey = () => (s.channels === 3 ? tf.sum(tf.mul(v, tf.tensor1d([0.2989, 0.587, 0.114])), 3, true) : v);
    const blend = (f: tf.Tensor, other: tf.Tensor) => tf.clipByValue(tf.add(tf.mul(v, f), tf.mul(other, tf.sub(1, f))), 0, 1);
    v = tf.clipByValue(tf.mul(v, factor((q) => q.jitter?.brightness ?? 1)), 0, 1);
    v = blend(factor((q) => q.jitter?.contrast ?? 1), tf.mean(grey(), [1, 2, 3], true));
    if (s.channels === 3) v = blend(factor((q) => q.jitter?.saturation ?? 1), grey());
    if (s.channels === 3) v = tf.where(mask((q) => q.grayscale), tf.tile(grey(), [1, 1, 1, 3]), v);
    const blurred = params.filter((q) => q.blur);
    if (policy.blur && blurred.length > 0) {
      const k = policy.blur.kernelSize;
      const r = (k - 1) / 2;
      const padded = tf.mirrorPad(v, [[0, 0], [r, r], [r, r], [0, 0]], "reflect") as tf.Tensor4D;
      const sigma = blurred[0].blur!.sigma;
      const b = tf.depthwiseConv2d(tf.depthwiseConv2d(padded, blurFilter(k, sigma, s.channels, false), 1, "valid"), blurFilter(k, sigma, s.channels, true), 1, "valid");
      v = tf.where(mask((q) => q.blur !== null), b, v);
    }
    v = tf.where(tf.logicalAnd(tf.greaterEqual(v, 0.5), mask((q) => q.solarize)), tf.sub(1, v), v);
    const { mean, std } = policy.normalize!;
    return tf.div(tf.sub(v, tf.tensor1d([...mean])), tf.tensor1d([...std])) as tf.Tensor4D;
  });
}

interface Row { size: string; name: string; ms: number }
const rows: Row[] = [];

function measure(size: string, name: string, fn: () => void, slow: boolean): void {
  const b = new Benchmark(name, fn, slow ? { minSamples: 2, maxTime: 4 } : { minSamples: 10, maxTime: 3 });
  b.run({ async: false });
  if (b.error) throw b.error;
  rows.push({ size, name, ms: b.stats.mean * 1000 });
  console.log(`${size} ${name}: ${(b.stats.mean * 1000).toFixed(2)} ms ±${b.stats.rme.toFixed(1)}% (${Math.round((BATCH / b.stats.mean))} images/s)`);
}

async function main(): Promise<void> {
  const pick = process.argv.slice(2);
  const sizes = pick.length ? ALL.filter((s) => pick.includes(`${s.side}x${s.channels}`)) : ALL;
  for (const s of sizes) {
    const label = `${s.side}×${s.side}×${s.channels}`;
    const r = rng(s.side);
    const data = Uint8Array.from({ length: POOL * s.side * s.side * s.channels }, () => Math.floor(r() * 256));
    const shape = { n: POOL, height: s.side, width: s.side, channels: s.channels };
    const batch = (step: number) => Array.from({ length: BATCH }, (_, i) => (i * 389 + step * 97) % POOL);
    for (const build of ["simd", "scalar"] as const) {
      await initKernels({ build });
      const aug = await createAugmenter({ build, seed: 1 });
      aug.setImages(data, shape);
      let step = 0;
      measure(label, `kernels, ${build} build`, () => aug.views(batch(step), step++), false);
    }
    const sizes = { channels: s.channels, inHeight: s.side, inWidth: s.side, outHeight: s.side, outWidth: s.side };
    const pair = byolPaper();
    const policies = [resolveViewPolicy("view1", pair.view1, sizes), resolveViewPolicy("view2", pair.view2, sizes)];
    let step = 0;
    measure(label, "plain TypeScript", () => plainTs(data, s, policies, batch(step++), r), true);
    for (const backend of ["cpu", "wasm"] as const) {
      await tf.setBackend(backend);
      const images = tf.tidy(() => tf.div(tf.tensor4d(data, [POOL, s.side, s.side, s.channels], "float32"), 255)) as tf.Tensor4D;
      measure(label, `tfjs ops, ${backend} backend`, () => {
        const idx = tf.tensor1d(batch(step++), "int32");
        for (const policy of policies) {
          const params = Array.from({ length: BATCH }, () => drawReference(policy, s.side, s.side, r));
          const v = tfjsView(images, s, policy, params, idx);
          v.dataSync();
          v.dispose();
        }
        idx.dispose();
      }, true);
      images.dispose();
    }
  }
  console.log("\n| size | case | ms / batch of 256 (both views) | images/s | × plain TS | × tfjs cpu | × tfjs wasm |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const r of rows) {
    const base = (name: string) => rows.find((x) => x.size === r.size && x.name === name)!.ms;
    const ratio = (name: string) => (base(name) / r.ms).toFixed(2);
    console.log(`| ${r.size} | ${r.name} | ${r.ms.toFixed(2)} | ${Math.round((BATCH * 1000) / r.ms)} | ${ratio("plain TypeScript")} | ${ratio("tfjs ops, cpu backend")} | ${ratio("tfjs ops, wasm backend")} |`);
  }
}

await main();
