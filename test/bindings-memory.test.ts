// The bindings' use of kernel memory: repeated calls of varying size stay bounded (reusable
// staging, no per-call allocation), and the compiled module can live on any memory (it imports
// only env.memory and has no data segments to overwrite someone else's bytes).
import { describe, expect, it } from "vitest";
import { wasmBase64 as relaxedSharedBase64 } from "../bindings/generated/kernels-relaxed-simd-shared";
import { wasmBase64 as relaxedBase64 } from "../bindings/generated/kernels-relaxed-simd";
import { wasmBase64 as scalarBase64 } from "../bindings/generated/kernels-scalar";
import { wasmBase64 as simdSharedBase64 } from "../bindings/generated/kernels-simd-shared";
import { wasmBase64 as simdBase64 } from "../bindings/generated/kernels-simd";
import { EmaBuffers, emaBlend, emaBlendMany } from "../bindings/ema";
import { enableRelaxedSimd, initKernels, kernels } from "../bindings/loader";
import { byolLoss, cosineLoss } from "../bindings/loss";
import { randn, rng } from "./helpers";

/** Section ids of a wasm binary, in order (11 = data, 12 = data count). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let at = 8; // magic + version
  while (at < bytes.length) {
    ids.push(bytes[at++]);
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      size |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    at += size;
  }
  return ids;
}

describe("kernel module", () => {
  const modules = [["relaxed-simd", relaxedBase64], ["simd", simdBase64], ["scalar", scalarBase64], ["relaxed-simd-shared", relaxedSharedBase64], ["simd-shared", simdSharedBase64]] as const;
  for (const [build, base64] of modules) {
    it(`${build} build imports only env.memory and has no data segments`, async () => {
      expect(await enableRelaxedSimd()).toBe(true);
      const bytes = new Uint8Array(Buffer.from(base64, "base64"));
      const module = new WebAssembly.Module(bytes);
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "memory", kind: "memory" }]);
      const ids = sectionIds(bytes);
      expect(ids).toContain(2); // the import section is there, so the parse is sound
      expect(ids).not.toContain(11);
      expect(ids).not.toContain(12);
    });
  }
});

describe("bindings memory", () => {
  it("10,000 calls of varying size keep the heap and the memory bounded", async () => {
    await initKernels({ build: "simd" });
    const { heap } = kernels();
    const random = rng(42);
    const size = (max: number) => 1 + Math.floor(random() * max);
    const MAX = 2048;
    const call = (k: number, n: number) => {
      switch (k % 4) {
        case 0: return emaBlend(new Float32Array(n), new Float32Array(n), 0.9);
        case 1: return emaBlendMany([new Float32Array(n), new Float32Array(7)], [new Float32Array(n), new Float32Array(7)], 0.9);
        case 2: return cosineLoss(randn(n, k), randn(n, k + 1), 1, n);
        default: return byolLoss(randn(n, k), randn(n, k), randn(n, k), randn(n, k), 1, n);
      }
    };
    for (let k = 0; k < 4; k++) call(k, MAX); // staging reaches its largest size
    const inUse = heap.bytesInUse;
    const capacity = heap.capacity;
    for (let k = 0; k < 10_000; k++) call(k, size(MAX));
    expect(heap.bytesInUse).toBe(inUse);
    expect(heap.capacity).toBe(capacity);
  });

  it("EmaBuffers give their memory back when freed", async () => {
    await initKernels({ build: "scalar" });
    const { heap } = kernels();
    const inUse = heap.bytesInUse;
    for (let k = 0; k < 1000; k++) {
      const b = new EmaBuffers([k % 97, 3, 1000]);
      b.blend(0.5);
      b.free();
    }
    expect(heap.bytesInUse).toBe(inUse);
  });
});
