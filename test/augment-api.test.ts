// The augmenter's public surface: presets and overrides, bad input named clearly, output buffer
// options, a user's own function, and surviving a kernel re-initialisation.
import { describe, expect, it } from "vitest";
import { initKernels, kernels } from "../bindings/loader";
import {
  autoKernelSize, byolPaper, byolPytorch, createAugmenter, FASHION_MNIST_STATS, IMAGENET_STATS, resolveViewPolicy,
} from "../src/augment";
import * as api from "../src/index";
import { viewWithParams } from "./augment-direct";

const shape = { n: 4, height: 8, width: 8, channels: 3 };
const u8 = () => Uint8Array.from({ length: 4 * 8 * 8 * 3 }, (_, i) => (i * 37) % 256);
const sizes = { channels: 3, inHeight: 28, inWidth: 28, outHeight: 28, outWidth: 28 };

describe("policies", () => {
  it("byolPaper is the paper's asymmetric pair", () => {
    const { view1, view2 } = byolPaper();
    expect([view1.blur!.p, view1.solarize!.p, view2.blur!.p, view2.solarize!.p]).toEqual([1, 0, 0.1, 0.2]);
    expect(view1.crop).toEqual({ scale: [0.08, 1], ratio: [3 / 4, 4 / 3] });
    expect(view1.jitter).toEqual({ p: 0.8, brightness: [0.6, 1.4], contrast: [0.6, 1.4], saturation: [0.8, 1.2], hue: [-0.1, 0.1], randomOrder: true });
    expect([view1.flip, view1.grayscale, view1.order]).toEqual([0.5, 0.2, "crop-first"]);
    expect(view1.blur!.sigma).toEqual([0.1, 2]);
  });

  it("byolPytorch is lucidrains' default (colour and blur before the crop)", () => {
    const { view1, view2 } = byolPytorch();
    expect(view2).toEqual(view1);
    expect(view1.jitter).toMatchObject({ p: 0.3, hue: [-0.2, 0.2] });
    expect(view1.jitter!.brightness![0]).toBeCloseTo(0.2);
    expect(view1.jitter!.brightness![1]).toBeCloseTo(1.8);
    expect(view1.blur).toEqual({ p: 0.2, sigma: [1, 2], kernelSize: 3 });
    expect([view1.grayscale, view1.flip, view1.solarize!.p, view1.order]).toEqual([0.2, 0.5, 0, "crop-last"]);
    expect(resolveViewPolicy("v", view1, sizes).normalize).toEqual(IMAGENET_STATS);
    expect(resolveViewPolicy("v", view1, { ...sizes, channels: 1 }).normalize).toEqual(FASHION_MNIST_STATS);
  });

  it("overrides merge onto a preset: both views, one view, cropScale shorthand, null disables", () => {
    const p = byolPaper({ cropScale: [0.2, 1], flip: 0, view2: { solarize: { p: 0.5 }, blur: null } });
    expect(p.view1.crop).toEqual({ scale: [0.2, 1], ratio: [3 / 4, 4 / 3] });
    expect(p.view2.crop!.scale).toEqual([0.2, 1]);
    expect([p.view1.flip, p.view2.flip]).toEqual([0, 0]);
    expect(p.view2.solarize).toEqual({ p: 0.5, threshold: 0.5 });
    expect(p.view2.blur).toBeNull();
    expect(p.view1.blur!.p).toBe(1);
  });

  it("auto kernel is ≈ 10% of the side, odd; auto normalization follows the channels", () => {
    expect([28, 32, 96, 224].map(autoKernelSize)).toEqual([3, 3, 9, 23]);
    const v = byolPaper().view1;
    expect(resolveViewPolicy("v", v, sizes).normalize).toEqual(IMAGENET_STATS);
    expect(resolveViewPolicy("v", v, { ...sizes, channels: 1 }).normalize).toEqual(FASHION_MNIST_STATS);
    expect(resolveViewPolicy("v", v, { ...sizes, outHeight: 96, outWidth: 96 }).blur!.kernelSize).toBe(9);
  });

  it("rejects bad policy values by name", () => {
    const v = byolPaper().view1;
    expect(() => resolveViewPolicy("view1", { ...v, flip: 1.5 }, sizes)).toThrow(/view1: flip must be a probability/);
    expect(() => resolveViewPolicy("view1", { ...v, blur: { ...v.blur!, kernelSize: 4 } }, sizes)).toThrow(/blur.kernelSize must be an odd/);
    expect(() => resolveViewPolicy("view1", { ...v, crop: { scale: [0.5, 0.2], ratio: [1, 1] } }, sizes)).toThrow(/crop.scale/);
    expect(() => resolveViewPolicy("view1", { ...v, normalize: { mean: [0.5], std: [0.5] } }, sizes)).toThrow(/normalize needs 3 mean and std/);
    expect(() => resolveViewPolicy("view1", { ...v, normalize: { mean: [0, 0, 0], std: [1, 0, 1] } }, sizes)).toThrow(/std > 0/);
    expect(() => resolveViewPolicy("view1", { ...v, order: "sideways" as never }, sizes)).toThrow(/order must be/);
  });
});

describe("bad input", () => {
  it("names wrong lengths, channels, zero sizes, NaN pixels, bad indices and seeds", async () => {
    const aug = await createAugmenter();
    expect(() => aug.views([0], 0)).toThrow(/no images; call setImages first/);
    expect(() => aug.setImages(new Uint8Array(10), shape)).toThrow(/buffer holds 10 values but shape \[4, 8, 8, 3\] \(NHWC\) needs 768/);
    expect(() => aug.setImages(new Uint8Array(4 * 64 * 2), { ...shape, channels: 2 })).toThrow(/channels must be 1 or 3, got 2/);
    expect(() => aug.setImages(new Uint8Array(0), { ...shape, height: 0 })).toThrow(/height must be an integer ≥ 1, got 0 \(zero-size/);
    expect(() => aug.setImages([1, 2, 3] as never, shape)).toThrow(/Uint8Array \(0–255\) or a Float32Array/);
    const f = new Float32Array(4 * 8 * 8 * 3).fill(0.5);
    f[2 * 192 + (3 * 8 + 5) * 3 + 1] = NaN;
    expect(() => aug.setImages(f, shape)).toThrow(/image 2 has NaN at row 3, column 5, channel 1; non-finite pixels \(NaN, ±Infinity\) are rejected/);
    f.fill(0.5);
    f[7] = -Infinity;
    expect(() => aug.setImages(f, shape)).toThrow(/image 0 has -Infinity at row 0, column 2, channel 1/);
    aug.setImages(u8(), shape);
    expect(() => aug.views([0, 4], 0)).toThrow(/indices\[1\] = 4 is not an image index in \[0, 4\)/);
    expect(() => aug.views([0], -1)).toThrow(/step must be an integer/);
    await expect(createAugmenter({ seed: 1.5 })).rejects.toThrow(/seed must be an integer/);
    await expect(createAugmenter({ channels: 2 as never })).rejects.toThrow(/channels must be 1 or 3/);
    const gray = await createAugmenter({ channels: 1 });
    expect(() => gray.setImages(u8(), shape)).toThrow(/images have 3 channels but the augmenter was created for 1/);
    const big = await createAugmenter({ outSize: 0 });
    expect(() => big.setImages(u8(), shape)).toThrow(/outSize must be a positive integer/);
  });
});

describe("outputs", () => {
  it("reuses its arrays by default; copy and into give other storage", async () => {
    const aug = await createAugmenter({ seed: 2, outSize: [6, 5] });
    aug.setImages(u8(), shape);
    expect(aug.outShape).toEqual([6, 5, 3]);
    const a = aug.views([0, 1], 0);
    expect(a.shape).toEqual([2, 6, 5, 3]);
    const first = a.view1.slice();
    const b = aug.views([0, 1], 1);
    expect(b.view1).toBe(a.view1); // same storage, new contents
    expect(b.view1).not.toEqual(first);
    const c = aug.views([0, 1], 0, { copy: true });
    expect(c.view1).not.toBe(a.view1);
    expect(c.view1).toEqual(first);
    const into = { view1: new Float32Array(180), view2: new Float32Array(180) };
    expect(aug.views([0, 1], 0, { into }).view1).toBe(into.view1);
    expect(into.view1).toEqual(first);
    expect(() => aug.views([0, 1], 0, { into: { view1: new Float32Array(3), view2: into.view2 } })).toThrow(/into.view1 must be a Float32Array of 180 floats/);
  });

  it("keeps working when the kernels are re-initialised (the dataset is uploaded again)", async () => {
    const aug = await createAugmenter({ seed: 4, build: "simd" });
    aug.setImages(u8(), shape);
    const before = aug.views([3, 2], 7, { copy: true });
    await initKernels({ build: "scalar" });
    const after = aug.views([3, 2], 7, { copy: true });
    expect(Math.max(...after.view1.map((v, i) => Math.abs(v - before.view1[i])))).toBeLessThan(1e-5);
    await initKernels({ build: "simd" });
  });

  it("accepts a user function (images) => views and checks what it returns", async () => {
    const seen: number[][] = [];
    const aug = await createAugmenter({
      seed: 9,
      policy: ({ images, shape: s, indices }) => {
        seen.push([...indices, s.n, images.length]);
        const v = Float32Array.from(images, (x) => x / 255);
        return { view1: v, view2: v };
      },
    });
    aug.setImages(u8(), shape);
    const out = aug.views([2, 0], 0);
    expect(seen).toEqual([[2, 0, 2, 384]]);
    expect(out.view1[0]).toBeCloseTo(u8()[2 * 192] / 255);
    const bad = await createAugmenter({ policy: () => ({ view1: new Float32Array(1), view2: new Float32Array(1) }) });
    bad.setImages(u8(), shape);
    expect(() => bad.views([0], 0)).toThrow(/function's view1 must be a Float32Array of 192 floats/);
  });

  it("checks given parameters against the image", async () => {
    const aug = await createAugmenter();
    aug.setImages(u8(), shape);
    const q = {
      crop: { top: 0, left: 0, height: 8, width: 8 }, cropTries: 0, flip: false, jitter: null, grayscale: false, blur: null, solarize: false,
    };
    const policy = byolPaper().view1;
    expect(viewWithParams(aug, [1], [q], policy).length).toBe(192);
    expect(() => viewWithParams(aug, [1], [{ ...q, crop: { top: 2, left: 0, height: 8, width: 8 } }], policy)).toThrow(/params\[0\]: crop box \(top 2, left 0, height 8, width 8\) must be whole pixels inside the 8×8 image/);
    expect(() => viewWithParams(aug, [1], [{ ...q, blur: { sigma: 1, kernelSize: 2 } }], policy)).toThrow(/odd kernel size/);
    expect(() => viewWithParams(aug, [1], [{ ...q, jitter: { brightness: 1, contrast: 1, saturation: 1, hue: 0, order: ["gamma" as never] } }], policy)).toThrow(/jitter order must list distinct ops/);
    expect(() => viewWithParams(aug, [1, 2], [q], policy)).toThrow(/1 parameter sets for 2 indices/);
  });

  it("allocates nothing per step and frees its kernel memory on dispose", async () => {
    const aug = await createAugmenter({ seed: 6 });
    const heap = kernels().heap;
    const before = heap.bytesInUse;
    aug.setImages(u8(), shape);
    aug.views([0, 1, 2, 3], 0);
    const held = heap.bytesInUse;
    for (let step = 1; step < 50; step++) aug.views([3, 1, 2, 0].slice(0, 1 + (step % 4)), step);
    expect(heap.bytesInUse).toBe(held);
    aug.dispose();
    expect(heap.bytesInUse).toBe(before);
    expect(() => aug.views([0], 0)).toThrow(/no images; call setImages first/);
  });

  it("is exported from the package entry", () => {
    for (const name of ["createAugmenter", "byolPaper", "byolPytorch", "colorJitter", "IMAGENET_STATS"]) {
      expect(name in api).toBe(true);
    }
  });
});
