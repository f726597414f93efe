// EMA kernel (assembly/ema.ts) through its bindings, on both builds, against a float32 reference.
import { describe, expect, it } from "vitest";
import { EmaBuffers, emaBlend, emaBlendMany } from "../bindings/ema";
import { initKernels, kernels } from "../bindings/loader";
import { randn } from "./helpers";

/** target·tau + online·(1 − tau) with the kernel's float32 roundings (wasm has no fused multiply-add). */
function reference(target: Float32Array, online: Float32Array, tau: number): Float32Array {
  const t = Math.fround(tau);
  const a = Math.fround(1 - t);
  return target.map((x, i) => Math.fround(Math.fround(x * t) + Math.fround(online[i] * a)));
}

const SIZES = [0, 1, 3, 4, 5, 8, 13, 4 * 257 + 1, 10_000];
const SCALES = [1, 1e30, 1e-30];

for (const build of ["simd", "scalar"] as const) {
  describe(`EMA kernel (${build} build)`, () => {
    it("blends in place exactly like the float32 reference, for any n and magnitude", async () => {
      await initKernels({ build });
      let seed = 1;
      for (const n of SIZES) {
        for (const scale of SCALES) {
          for (const tau of [0, 0.5, 0.99, 0.996, 1]) {
            const target = randn(n, seed++, scale);
            const online = randn(n, seed++, scale);
            const want = reference(target, online, tau);
            emaBlend(target, online, tau);
            expect(target).toEqual(want);
          }
        }
      }
    });

    it("tau = 1 keeps the target and tau = 0 copies the online weights", async () => {
      await initKernels({ build });
      const target = randn(37, 5);
      const online = randn(37, 6);
      const before = target.slice();
      emaBlend(target, online, 1);
      expect(target).toEqual(before);
      emaBlend(target, online, 0);
      expect(target).toEqual(online);
    });

    it("emaBlendMany blends scattered tensors of mixed sizes in one call", async () => {
      await initKernels({ build });
      const sizes = [5, 0, 1, 64, 3, 1025];
      const targets = sizes.map((n, k) => randn(n, 100 + k));
      const onlines = sizes.map((n, k) => randn(n, 200 + k, 3));
      const want = targets.map((t, k) => reference(t, onlines[k], 0.9));
      emaBlendMany(targets, onlines, 0.9);
      targets.forEach((t, k) => expect(t).toEqual(want[k]));
      emaBlendMany([], [], 0.9); // nothing to do is fine
    });

    it("EmaBuffers blends parameters kept in kernel memory, across memory growth", async () => {
      await initKernels({ build });
      const sizes = [7, 0, 256, 3];
      const buffers = new EmaBuffers(sizes);
      const targets = sizes.map((n, k) => randn(n, 300 + k));
      const onlines = sizes.map((n, k) => randn(n, 400 + k));
      sizes.forEach((_, k) => {
        buffers.targetView(k).set(targets[k]);
        buffers.onlineView(k).set(onlines[k]);
      });
      const grow = kernels().heap.allocF32(1 << 22); // forces growth: views must be taken again
      buffers.blend(0.99);
      sizes.forEach((_, k) => {
        expect(buffers.targetView(k)).toEqual(reference(targets[k], onlines[k], 0.99));
        expect(buffers.onlineView(k)).toEqual(onlines[k]);
      });
      grow.free();
      expect(() => buffers.targetView(4)).toThrow(/index 4 is out of range \[0, 4\)/);
      buffers.free();
      expect(() => buffers.blend(0.9)).toThrow(/freed/);
    });

    it("rejects mismatched lengths, bad tau and non-Float32Arrays by name", async () => {
      await initKernels({ build });
      const a = new Float32Array(4);
      expect(() => emaBlend(a, new Float32Array(5), 0.9)).toThrow(/target has 4 floats but online has 5/);
      for (const tau of [NaN, -0.1, 1.5, Infinity]) expect(() => emaBlend(a, a.slice(), tau)).toThrow(new RegExp(`tau .* got ${tau}`));
      expect(() => emaBlend([1, 2] as never, a, 0.9)).toThrow(/Float32Arrays/);
      expect(() => emaBlendMany([a, a], [a], 0.9)).toThrow(/equal length, got 2 and 1/);
      expect(() => emaBlendMany([a], [new Float32Array(3)], 0.9)).toThrow(/target\[0\] has 4 floats but online\[0\] has 3/);
      expect(() => new EmaBuffers([3, -1])).toThrow(/lengths\[1\] .* got -1/);
    });
  });
}

describe("EMA builds", () => {
  it("SIMD and scalar builds give identical bits", async () => {
    const results = [];
    for (const build of ["simd", "scalar"] as const) {
      await initKernels({ build });
      const target = randn(4099, 7);
      emaBlend(target, randn(4099, 8), 0.996);
      results.push(target);
    }
    expect(results[0]).toEqual(results[1]);
  });

  it("EmaBuffers from a replaced kernel instance fail clearly", async () => {
    await initKernels({ build: "simd" });
    const buffers = new EmaBuffers([4]);
    await initKernels({ build: "scalar" });
    expect(() => buffers.blend(0.5)).toThrow(/re-initialised/);
  });
});
