import { describe, expect, it } from "vitest";
import { initKernels, kernelBuild, kernels, simdSupported } from "../bindings/loader";

describe("kernel loader", () => {
  it("probes SIMD on this engine", () => {
    expect(simdSupported()).toBe(true); // Node 20 has SIMD; the scalar build is forced below
  });

  it("switches between the SIMD and scalar builds", async () => {
    expect(await initKernels({ build: "scalar" })).toBe("scalar");
    expect(kernelBuild()).toBe("scalar");
    expect(await initKernels({ build: "simd" })).toBe("simd");
    expect(await initKernels()).toBe("simd");
    expect(typeof kernels().exports.ema_blend).toBe("function");
  });

  it("rejects an unknown build by name", async () => {
    await expect(initKernels({ build: "avx" as never })).rejects.toThrow(/'avx'|"avx"/);
  });
});
