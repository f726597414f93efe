// Every augmentation op with fixed parameters against torchvision 0.14 (fixtures), on both kernel
// builds; the plain-TS reference is held to the same fixtures.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import type { SampleParams } from "../bindings/augment";
import { createAugmenter, IMAGENET_STATS, resolveViewPolicy, type Augmenter, type ViewPolicy } from "../src/augment";
import { parseSafetensors } from "../src/io/safetensors";
import { viewWithParams } from "./augment-direct";
import * as ref from "../dev/augment-reference";
import { fixturePath, relL2 } from "./helpers";

// a plain Uint8Array: parseSafetensors misreads a Node Buffer (its slice() is a view, not a copy)
const fx = parseSafetensors(new Uint8Array(readFileSync(fixturePath("augment-ops.safetensors"))), "augment-ops.safetensors").tensors as
  Record<string, { shape: number[]; data: Float32Array }>;
const [N, C, H, W] = fx["input.rgb"].shape;

/** NCHW → NHWC. */
function nhwc(t: { shape: number[]; data: Float32Array }): Float32Array {
  const [n, c, h, w] = t.shape;
  const out = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) out[(i * h * w + p) * c + ch] = t.data[(i * c + ch) * h * w + p];
  return out;
}

/** A policy that does nothing by itself: each case's parameters switch its op on. */
export const IDENTITY: ViewPolicy = {
  crop: null, flip: 0, jitter: null, grayscale: 0, blur: null, solarize: { p: 0, threshold: 0.5 }, normalize: null, order: "crop-first",
};

const none: SampleParams = {
  crop: { top: 0, left: 0, height: H, width: W }, cropTries: 0, flip: false, jitter: null, grayscale: false, blur: null, solarize: false,
};
const jitter = (op: "brightness" | "contrast" | "saturation" | "hue", f: number): Partial<SampleParams> => ({
  jitter: { brightness: 1, contrast: 1, saturation: 1, hue: 0, [op]: f, order: [op] },
});

const box = fx["resized_crop.box"].data;
const cases: Array<{ name: string; params: Partial<SampleParams>; policy?: Partial<ViewPolicy>; gray?: boolean; tol?: number }> = [
  { name: "resized_crop", params: { crop: { top: box[0], left: box[1], height: box[2], width: box[3] } } },
  { name: "hflip", params: { flip: true } },
  ...[0.6, 1.4].flatMap((f) => [
    { name: `brightness_${f}`, params: jitter("brightness", f) },
    { name: `contrast_${f}`, params: jitter("contrast", f) },
    { name: `saturation_${f}`, params: jitter("saturation", f) },
  ]),
  { name: "hue_-0.1", params: jitter("hue", -0.1), tol: 1e-4 },
  { name: "hue_0.05", params: jitter("hue", 0.05), tol: 1e-4 },
  { name: "grayscale", params: { grayscale: true } },
  { name: "blur_k3_s1.0", params: { blur: { kernelSize: 3, sigma: 1 } } },
  { name: "blur_k3_s2.0", params: { blur: { kernelSize: 3, sigma: 2 } } },
  { name: "blur_k5_s0.7", params: { blur: { kernelSize: 5, sigma: 0.7 } } },
  { name: "solarize_0.5", params: { solarize: true } },
  { name: "normalize_imagenet", params: {}, policy: { normalize: IMAGENET_STATS } },
  { name: "gray.contrast_1.4", params: jitter("contrast", 1.4), gray: true },
  { name: "gray.blur_k3_s1.0", params: { blur: { kernelSize: 3, sigma: 1 } }, gray: true },
];

describe("augmentation ops vs torchvision 0.14", () => {
  for (const build of ["simd", "scalar"] as const) {
    describe(`${build} build`, () => {
      const aug: Record<number, Augmenter> = {};
      beforeAll(async () => {
        for (const c of [1, 3]) {
          aug[c] = await createAugmenter({ build, channels: c as 1 | 3 });
          aug[c].setImages(nhwc(fx[c === 3 ? "input.rgb" : "input.gray"]), { n: N, height: H, width: W, channels: c });
        }
      });
      for (const k of cases) {
        it(`${k.name} within ${k.tol ?? 1e-5}`, () => {
          const c = k.gray ? 1 : C;
          const params = Array.from({ length: N }, () => ({ ...none, ...k.params }));
          const out = viewWithParams(aug[c], [0, 1, 2, 3], params, { ...IDENTITY, ...k.policy });
          expect(relL2(out, nhwc(fx[`${k.name}.out`]))).toBeLessThan(k.tol ?? 1e-5);
        });
      }
    });
  }
});

describe("plain-TS reference vs torchvision 0.14", () => {
  for (const k of cases) {
    it(k.name, () => {
      const c = k.gray ? 1 : C;
      const input = nhwc(fx[c === 3 ? "input.rgb" : "input.gray"]);
      const want = nhwc(fx[`${k.name}.out`]);
      const policy = resolveViewPolicy("ref", { ...IDENTITY, ...k.policy }, { channels: c, inHeight: H, inWidth: W, outHeight: H, outWidth: W });
      const size = H * W * c;
      const got = new Float32Array(want.length);
      for (let i = 0; i < N; i++) {
        const img = { data: input.slice(i * size, (i + 1) * size), h: H, w: W, c };
        got.set(ref.augmentReference(img, { ...none, ...k.params }, policy, H, W).data, i * size);
      }
      expect(relL2(got, want)).toBeLessThan(k.tol ?? 1e-5);
    });
  }
});
