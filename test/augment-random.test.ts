// The draws: Philox known answers, parameter distributions per view, determinism in (seed, step,
// position, view), batch-split invariance, and the two builds agreeing.
import { beforeAll, describe, expect, it } from "vitest";
import type { SampleParams } from "../bindings/augment";
import { initKernels } from "../bindings/loader";
import { createAugmenter, type Augmenter } from "../src/augment";
import { philoxWords } from "./augment-direct";
import { relL2, rng } from "./helpers";

const H = 28;
const W = 28;
const N = 64;

function images(n: number, c: number, seed: number): Uint8Array {
  const r = rng(seed);
  return Uint8Array.from({ length: n * H * W * c }, () => Math.floor(r() * 256));
}

async function augmenter(build: "simd" | "scalar", seed: number, c: 1 | 3 = 3): Promise<Augmenter> {
  const aug = await createAugmenter({ build, seed, channels: c });
  aug.setImages(images(N, c, 7), { n: N, height: H, width: W, channels: c });
  return aug;
}

const rate = (xs: SampleParams[], f: (q: SampleParams) => boolean) => xs.filter(f).length / xs.length;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("Philox4x32-10 known answers (Random123 kat_vectors)", () => {
  for (const build of ["simd", "scalar"] as const) {
    it(`${build} build`, async () => {
      await initKernels({ build });
      expect(Array.from(philoxWords(4, [0, 0], [0, 0, 0, 0]))).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
      expect(Array.from(philoxWords(4, [0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]))).toEqual([
        0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
      ]);
      expect(Array.from(philoxWords(4, [0xa4093822, 0x299f31d0], [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344]))).toEqual([
        0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
      ]);
    });
  }
});

describe("paper policy: parameter distributions over 4,096 samples", () => {
  let v1: SampleParams[] = [];
  let v2: SampleParams[] = [];
  beforeAll(async () => {
    const aug = await augmenter("simd", 3);
    const indices = Array.from({ length: 512 }, (_, i) => i % N);
    for (let step = 0; step < 8; step++) {
      const { params } = aug.views(indices, step, { returnParams: true });
      v1 = v1.concat(params!.view1);
      v2 = v2.concat(params!.view2);
    }
  });

  it("crop boxes: inside the image, area 0.08–1 and aspect 3/4–4/3 up to rounding, with a wide spread", () => {
    const all = v1.concat(v2).filter((q) => q.cropTries <= 10);
    expect(all.length).toBeGreaterThan(0.97 * (v1.length + v2.length)); // the centre fallback is rare
    for (const { crop: b } of all) {
      expect(b.top >= 0 && b.left >= 0 && b.top + b.height <= H && b.left + b.width <= W).toBe(true);
      expect((b.width + 0.5) * (b.height + 0.5)).toBeGreaterThanOrEqual(0.08 * H * W);
      expect((b.width + 0.5) / (b.height - 0.5)).toBeGreaterThanOrEqual(3 / 4);
      expect((b.width - 0.5) / (b.height + 0.5)).toBeLessThanOrEqual(4 / 3);
    }
    const area = all.map((q) => (q.crop.width * q.crop.height) / (H * W));
    const logAspect = all.map((q) => Math.log(q.crop.width / q.crop.height));
    expect(Math.min(...area)).toBeLessThan(0.12);
    expect(Math.max(...area)).toBeGreaterThan(0.9);
    expect(mean(area)).toBeGreaterThan(0.4);
    expect(mean(area)).toBeLessThan(0.6);
    expect(Math.abs(mean(logAspect))).toBeLessThan(0.02);
    expect(rate(all, (q) => q.crop.width > q.crop.height)).toBeGreaterThan(0.35);
    expect(new Set(all.map((q) => q.crop.top)).size).toBeGreaterThan(15); // positions vary too
  });

  it("flip ≈ 0.5, jitter ≈ 0.8, grayscale ≈ 0.2 on both views", () => {
    for (const v of [v1, v2]) {
      expect(Math.abs(rate(v, (q) => q.flip) - 0.5)).toBeLessThan(0.04);
      expect(Math.abs(rate(v, (q) => q.jitter !== null) - 0.8)).toBeLessThan(0.04);
      expect(Math.abs(rate(v, (q) => q.grayscale) - 0.2)).toBeLessThan(0.04);
    }
  });

  it("blur p 1.0 / 0.1 and solarize p 0 / 0.2 per view; σ uniform in [0.1, 2]", () => {
    expect(rate(v1, (q) => q.blur !== null)).toBe(1);
    expect(Math.abs(rate(v2, (q) => q.blur !== null) - 0.1)).toBeLessThan(0.03);
    expect(rate(v1, (q) => q.solarize)).toBe(0);
    expect(Math.abs(rate(v2, (q) => q.solarize) - 0.2)).toBeLessThan(0.03);
    const sigma = v1.map((q) => q.blur!.sigma);
    expect(Math.min(...sigma)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...sigma)).toBeLessThanOrEqual(2);
    expect(Math.abs(mean(sigma) - 1.05)).toBeLessThan(0.05);
    expect(v1.every((q) => q.blur!.kernelSize === 3)).toBe(true); // 10% of 28, odd
  });

  it("jitter factors in range and all 24 orders about equally often", () => {
    const j = v1.concat(v2).flatMap((q) => (q.jitter ? [q.jitter] : []));
    for (const f of j) {
      expect(f.brightness >= 0.6 && f.brightness <= 1.4 && f.contrast >= 0.6 && f.contrast <= 1.4).toBe(true);
      expect(f.saturation >= 0.8 && f.saturation <= 1.2 && f.hue >= -0.1 && f.hue <= 0.1).toBe(true);
      expect([...f.order].sort()).toEqual(["brightness", "contrast", "hue", "saturation"]);
    }
    const counts = new Map<string, number>();
    for (const f of j) counts.set(f.order.join(), (counts.get(f.order.join()) ?? 0) + 1);
    expect(counts.size).toBe(24);
    for (const c of counts.values()) expect(Math.abs(c / (j.length / 24) - 1)).toBeLessThan(0.3);
    expect(Math.abs(mean(j.map((f) => f.hue)))).toBeLessThan(0.005);
  });

  it("the views and the samples draw independently", () => {
    const both = v1.map((q, i) => q.flip === v2[i].flip);
    expect(Math.abs(mean(both.map(Number)) - 0.5)).toBeLessThan(0.04);
    const boxes = new Set(v1.slice(0, 256).map((q) => JSON.stringify(q.crop)));
    expect(boxes.size).toBeGreaterThan(200);
  });
});

describe("determinism", () => {
  const indices = Array.from({ length: 37 }, (_, i) => (i * 7) % N);
  for (const build of ["simd", "scalar"] as const) {
    it(`${build}: same seed ⇒ identical views; another seed or step ⇒ different`, async () => {
      const a = await augmenter(build, 11);
      const b = await augmenter(build, 11);
      const c = await augmenter(build, 12);
      const x = a.views(indices, 3, { copy: true });
      const y = b.views(indices, 3, { copy: true });
      expect(y.view1).toEqual(x.view1);
      expect(y.view2).toEqual(x.view2);
      expect(relL2(c.views(indices, 3).view1, x.view1)).toBeGreaterThan(0.1);
      expect(relL2(a.views(indices, 4).view1, x.view1)).toBeGreaterThan(0.1);
      expect(relL2(x.view2, x.view1)).toBeGreaterThan(0.1);
    });

    it(`${build}: a batch split into parts (with offset) gives the same views as the whole`, async () => {
      const a = await augmenter(build, 5);
      const whole = a.views(indices, 9, { copy: true, returnParams: true });
      const head = a.views(indices.slice(0, 10), 9, { copy: true, returnParams: true });
      const tail = a.views(indices.slice(10), 9, { copy: true, offset: 10, returnParams: true });
      for (const v of ["view1", "view2"] as const) {
        expect(Float32Array.from([...head[v], ...tail[v]])).toEqual(whole[v]);
        expect([...head.params![v], ...tail.params![v]]).toEqual(whole.params![v]);
      }
    });
  }

  it("SIMD and scalar builds draw the same parameters and agree on the pixels", async () => {
    const s = (await augmenter("simd", 21)).views(indices, 2, { copy: true, returnParams: true });
    const t = (await augmenter("scalar", 21)).views(indices, 2, { copy: true, returnParams: true });
    expect(t.params).toEqual(s.params);
    expect(relL2(t.view1, s.view1)).toBeLessThan(1e-6);
    expect(relL2(t.view2, s.view2)).toBeLessThan(1e-6);
  });
});
