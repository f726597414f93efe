import { spawnSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { wasmBase64 as relaxedBase64 } from "../bindings/generated/kernels-relaxed-simd";
import { enableRelaxedSimd, initKernels, kernelBuild, kernels, RELAXED_SIMD_PROBE, relaxedSimdSupported, simdSupported } from "../bindings/loader";

describe("kernel loader", () => {
  it("probes SIMD on this engine", () => {
    expect(simdSupported()).toBe(true); // Node 20 has SIMD; the scalar build is forced below
  });

  it("switches between the relaxed-SIMD, SIMD and scalar builds; 'auto' is relaxed SIMD here", async () => {
    expect(await initKernels({ build: "scalar" })).toBe("scalar");
    expect(kernelBuild()).toBe("scalar");
    expect(await initKernels({ build: "simd" })).toBe("simd");
    expect(await initKernels({ build: "relaxed-simd" })).toBe("relaxed-simd");
    expect(typeof kernels().exports.conv2d_forward).toBe("function");
    expect(await initKernels()).toBe("relaxed-simd"); // Node 20 after enableRelaxedSimd, later Node by default
    expect(typeof kernels().exports.ema_blend).toBe("function");
  });

  it("rejects an unknown build by name", async () => {
    await expect(initKernels({ build: "avx" as never })).rejects.toThrow(/'avx'|"avx"/);
  });

  it("refuses a forced relaxed-SIMD build the engine cannot run, and 'auto' falls back to SIMD", async () => {
    const validate = WebAssembly.validate;
    const spy = vi.spyOn(WebAssembly, "validate").mockImplementation((bytes) => bytes !== RELAXED_SIMD_PROBE && validate(bytes));
    try {
      expect(relaxedSimdSupported()).toBe(false);
      await expect(initKernels({ build: "relaxed-simd" })).rejects.toThrow(/relaxed-SIMD build was requested but this engine does not support WebAssembly relaxed SIMD/);
      expect(await initKernels()).toBe("simd");
    } finally {
      spy.mockRestore();
    }
    expect(await initKernels()).toBe("relaxed-simd");
  });

  it("the relaxed-SIMD probe is valid exactly when the engine compiles the relaxed-SIMD kernels", () => {
    // fresh processes, with Node's default and with the V8 flag on: probe ⇔ kernels, in both
    const script = (flag: boolean) => `
      const probe = new Uint8Array(${JSON.stringify(Array.from(RELAXED_SIMD_PROBE))});
      ${flag ? 'require("node:v8").setFlagsFromString("--experimental-wasm-relaxed-simd");' : ""}
      let compiles = true;
      try { new WebAssembly.Module(Buffer.from(${JSON.stringify(relaxedBase64)}, "base64")); } catch { compiles = false; }
      console.log(JSON.stringify([WebAssembly.validate(probe), compiles]));`;
    const run = (flag: boolean) => {
      const r = spawnSync(process.execPath, ["-e", script(flag)], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as [boolean, boolean];
    };
    const [plain, flagged] = [run(false), run(true)];
    expect(plain[0]).toBe(plain[1]);
    expect(flagged).toEqual([true, true]);
    // Node 20 keeps relaxed SIMD behind the flag: there the probe must be invalid without it
    if (process.versions.node.startsWith("20.")) expect(plain).toEqual([false, false]);
    expect(relaxedSimdSupported()).toBe(true);
  });

  it("enableRelaxedSimd is idempotent", async () => {
    expect(await enableRelaxedSimd()).toBe(true);
    expect(await enableRelaxedSimd()).toBe(true);
  });
});
