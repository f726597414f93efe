// The fused view pipeline against the plain-TS reference with the same drawn parameters: both
// builds, 1 and 3 channels, u8 and f32 input, both op orders, sizes that are not multiples of 4,
// up- and down-sampling, kernels wider than the image, n = 0 and 1.
import { describe, expect, it } from "vitest";
import type { SampleParams } from "../bindings/augment";
import { colorJitter, createAugmenter, resolveViewPolicy, type ViewPolicy } from "../src/augment";
import { augmentReference } from "../dev/augment-reference";
import { relL2, rng } from "./helpers";

/** Every op likely, so each sample exercises most of the pipeline. */
const busy = (order: ViewPolicy["order"], kernelSize: number): ViewPolicy => ({
  crop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
  flip: 0.5,
  jitter: colorJitter(0.6, 0.6, 0.6, 0.3, 1),
  grayscale: 0.3,
  blur: { p: 0.8, sigma: [0.1, 2], kernelSize },
  solarize: { p: 0.5, threshold: 0.5 },
  normalize: "auto",
  order,
});

function referenceViews(data: Uint8Array | Float32Array, shape: { height: number; width: number; channels: number }, indices: number[],
  params: SampleParams[], policy: ViewPolicy, oh: number, ow: number): Float32Array {
  const { height: h, width: w, channels: c } = shape;
  const resolved = resolveViewPolicy("ref", policy, { channels: c, inHeight: h, inWidth: w, outHeight: oh, outWidth: ow });
  const out = new Float32Array(indices.length * oh * ow * c);
  indices.forEach((idx, s) => {
    const src = data.subarray(idx * h * w * c, (idx + 1) * h * w * c);
    const img = { data: Float32Array.from(src, (v) => (data instanceof Uint8Array ? v / 255 : v)), h, w, c };
    out.set(augmentReference(img, params[s], resolved, oh, ow).data, s * oh * ow * c);
  });
  return out;
}

const sizes = [
  { h: 13, w: 11, oh: 9, ow: 7, k: 3 },
  { h: 7, w: 5, oh: 16, ow: 13, k: 9 }, // kernel wider than the input: reflect folds more than once
  { h: 32, w: 30, oh: 32, ow: 30, k: 5 },
];

describe("view pipeline vs plain-TS reference", () => {
  for (const build of ["simd", "scalar"] as const) {
    for (const c of [1, 3] as const) {
      for (const order of ["crop-first", "crop-last"] as const) {
        it(`${build}, ${c} channel(s), ${order}`, async () => {
          for (const { h, w, oh, ow, k } of sizes) {
            for (const type of ["u8", "f32"] as const) {
              const n = 6;
              const r = rng(h * 100 + c * 10 + (type === "u8" ? 1 : 2));
              const u8 = Uint8Array.from({ length: n * h * w * c }, () => Math.floor(r() * 256));
              const data = type === "u8" ? u8 : Float32Array.from(u8, (v) => v / 255);
              const policy = busy(order, k);
              const aug = await createAugmenter({ build, seed: 3, outSize: [oh, ow], view1: policy, view2: policy });
              aug.setImages(data, { n, height: h, width: w, channels: c });
              const indices = [5, 0, 3, 3, 1, 2, 4];
              const got = aug.views(indices, 1, { returnParams: true });
              for (const v of ["view1", "view2"] as const) {
                const want = referenceViews(data, { height: h, width: w, channels: c }, indices, got.params![v], policy, oh, ow);
                expect(relL2(got[v], want), `${h}×${w}→${oh}×${ow} ${type} ${v}`).toBeLessThan(1e-5);
              }
            }
          }
        });
      }
    }
  }

  it("u8 input and the same images as f32 / 255 give bit-identical views", async () => {
    const r = rng(4);
    const u8 = Uint8Array.from({ length: 3 * 10 * 9 * 3 }, () => Math.floor(r() * 256));
    const shape = { n: 3, height: 10, width: 9, channels: 3 };
    const a = await createAugmenter({ seed: 8 });
    const b = await createAugmenter({ seed: 8 });
    a.setImages(u8, shape);
    b.setImages(Float32Array.from(u8, (v) => v / 255), shape);
    expect(b.views([0, 1, 2], 0, { copy: true }).view1).toEqual(a.views([0, 1, 2], 0, { copy: true }).view1);
  });

  it("n = 0 gives empty views; n = 1 of a 1×1 image works (crop-last blurs the one pixel with k = 3)", async () => {
    const one = new Uint8Array([10, 200, 30]);
    const shape = { n: 1, height: 1, width: 1, channels: 3 };
    for (const order of ["crop-first", "crop-last"] as const) {
      const policy = busy(order, 3);
      const aug = await createAugmenter({ seed: 1, outSize: 3, view1: policy, view2: policy });
      aug.setImages(one, shape);
      const empty = aug.views([], 0, { returnParams: true });
      expect(empty.view1.length).toBe(0);
      expect(empty.params!.view1).toEqual([]);
      for (let step = 0; step < 5; step++) {
        const got = aug.views([0], step, { returnParams: true });
        const want = referenceViews(one, shape, [0], got.params!.view1, policy, 3, 3);
        expect(relL2(got.view1, want)).toBeLessThan(1e-5);
      }
    }
  });
});
