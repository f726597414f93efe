// Cross-backend parity: the PyTorch step fixture's weights and views give the same BYOL loss and
// gradients on cpu (Node, the reference), wasm (Node and Chromium) and webgl (Chromium, SwiftShader).
// The encoder is a small CNN (see parity-learner.ts: the fixture's ResNet-18 is too slow on cpu).
// webgpu (Chromium, SwiftShader) is checked on a tiny learner against cpu in the same page.
import * as tf from "@tensorflow/tfjs";
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setBackend } from "../src/backend";
import { bundle, hasChromium, launchChromium, pageWithErrors, serveFiles } from "../dev/chromium";
import { fixturePath } from "./helpers";
import { encoderWeightBytes, fixtureGradients, worstGradientError, type FixtureGradients } from "./parity-learner";

/**
 * Tolerances (relative L2; measured on this machine in brackets, worst tensor / worst non-zero one):
 * - wasm vs cpu: the same float32 arithmetic summed in other orders (XNNPACK, our SIMD kernels), the
 *   same loss kernel → 1e-4 [2.6e-5 / 5.9e-6 in Node and Chromium; the loss bit-identical].
 * - webgl vs cpu: float32 textures, but GPU arithmetic (fused multiply-add, shader exp/sqrt, other
 *   reduction trees, the tfjs-ops loss) that real GPUs do less exactly than SwiftShader → 1e-3
 *   [1.9e-5 / 4.7e-6 on SwiftShader].
 * - webgpu vs cpu (a tiny learner, both in the page: small CNN width 4, 16×16×1, batch 6, heads
 *   32 → 16; the fixture's 28×28×3 net is slow on WebGPU's SwiftShader): float32 storage buffers,
 *   the GPU arithmetic above in WGSL → 1e-3 [1.9e-5 / 3.2e-6 on SwiftShader; the loss identical].
 * On float16-only render targets (some mobile GPUs) 1e-3 is out of reach (10-bit mantissa): the demo
 * reports it (WEBGL_RENDER_FLOAT32_ENABLED false); the last test forces float16 textures to check the
 * detection and measure the loss of precision.
 */
const TOLERANCE = { wasm: 1e-4, webgl: 1e-3, webgpu: 1e-3 } as const;

const entry = `
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import { setBackend } from "./src/backend";
import { fixtureGradients, tinyGradients } from "./test/parity-learner";
const base64 = (f32) => {
  const u8 = new Uint8Array(f32.buffer);
  let s = "";
  for (let i = 0; i < u8.length; i += 0x8000) s += String.fromCharCode(...u8.subarray(i, i + 0x8000));
  return btoa(s);
};
window.run = async (backend, forceF16) => {
  setWasmPaths("/wasm/");
  if (forceF16) tf.env().set("WEBGL_FORCE_F16_TEXTURES", true);
  await setBackend(backend);
  const bytes = new Uint8Array(await (await fetch("/byol-step.safetensors")).arrayBuffer());
  const encoder = new Uint8Array(await (await fetch("/encoder.safetensors")).arrayBuffer());
  const before = tf.memory().numTensors;
  const r = await fixtureGradients(bytes, encoder);
  const float16Only = backend === "webgl" ? !tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") : null;
  return { ...r, grads: base64(r.grads), float16Only, leaked: tf.memory().numTensors - before };
};
// the tiny learner on cpu, then on webgpu with the same weights and views, in this page
window.runWebgpu = async () => {
  const adapter = await navigator.gpu?.requestAdapter();
  if (!adapter) return null;
  await setBackend("cpu");
  const cpu = await tinyGradients();
  await setBackend("webgpu");
  const before = tf.memory().numTensors;
  const gpu = await tinyGradients(cpu.weights);
  const leaked = tf.memory().numTensors - before;
  const strip = ({ weights, ...r }) => ({ ...r, grads: base64(r.grads) });
  return { adapter: { vendor: adapter.info.vendor, architecture: adapter.info.architecture }, cpu: strip(cpu), webgpu: strip(gpu), leaked };
};
// what 'auto' picks, next to what webgpu's synchronous read of a sum gives
window.runAuto = async () => {
  let syncSum = null;
  if (await navigator.gpu?.requestAdapter()) {
    await setBackend("webgpu");
    syncSum = tf.ones([64]).sum().dataSync()[0];
  }
  return { syncSum, auto: (await setBackend("auto")).name };
};`;

type PageResult = Omit<FixtureGradients, "grads"> & { grads: string; float16Only: boolean | null; leaked: number };
type WebgpuPageResult = { adapter: { vendor: string; architecture: string }; cpu: Omit<FixtureGradients, "grads"> & { grads: string }; webgpu: Omit<FixtureGradients, "grads"> & { grads: string }; leaked: number };

describe("BYOL loss and gradients agree across backends", () => {
  const bytes = new Uint8Array(readFileSync(fixturePath("byol-step.safetensors")));
  let cpu: FixtureGradients;
  let encoder: Uint8Array;
  beforeAll(async () => {
    await setBackend("cpu");
    encoder = encoderWeightBytes();
    cpu = await fixtureGradients(bytes, encoder);
  }, 120_000);

  it("wasm in Node matches cpu", async () => {
    await setBackend("wasm");
    const wasm = await fixtureGradients(bytes, encoder);
    await setBackend("cpu");
    expect(Math.abs(wasm.loss - cpu.loss) / cpu.loss).toBeLessThan(TOLERANCE.wasm);
    expect(worstGradientError(wasm, cpu).rel).toBeLessThan(TOLERANCE.wasm);
  }, 120_000);

  describe.skipIf(!hasChromium)("in Chromium (skipped: /usr/bin/chromium absent)", () => {
    let server: Server;
    let origin = "";
    let browser: Browser;
    beforeAll(async () => {
      ({ server, origin } = await serveFiles({
        "/index.html": { body: '<link rel="icon" href="data:,"><script src="/bundle.js"></script>', type: "text/html" },
        "/bundle.js": { body: await bundle(entry), type: "text/javascript" },
        "/byol-step.safetensors": { body: bytes, type: "application/octet-stream" },
        "/encoder.safetensors": { body: encoder, type: "application/octet-stream" },
      }));
      browser = await launchChromium({ webgpu: true });
    }, 120_000);
    afterAll(async () => {
      await browser?.close();
      await new Promise((ok) => server?.close(ok));
    });

    async function inPage(backend: "wasm" | "webgl", forceF16 = false): Promise<FixtureGradients & { float16Only: boolean | null; leaked: number }> {
      const { page, errors } = await pageWithErrors(browser);
      try {
        await page.goto(`${origin}/index.html`);
        const r = (await page.evaluate(([b, f]) => (window as unknown as { run(b: string, f: boolean): Promise<PageResult> }).run(b, f), [backend, forceF16] as const));
        expect(errors).toEqual([]);
        expect(r.names).toEqual(cpu.names);
        return { ...r, grads: new Float32Array(Uint8Array.from(Buffer.from(r.grads, "base64")).buffer) };
      } finally {
        await page.close();
      }
    }

    for (const backend of ["wasm", "webgl"] as const) {
      it(`${backend} in Chromium matches cpu in Node within ${TOLERANCE[backend]}`, async () => {
        const r = await inPage(backend);
        expect(r.backend).toBe(backend);
        expect(r.leaked).toBe(0);
        if (backend === "webgl") expect(r.float16Only).toBe(false);
        const worst = worstGradientError(r, cpu);
        const real = worstGradientError(r, cpu, { aboveFloorOnly: true });
        console.log(`${backend} (browser): loss ${r.loss} vs cpu ${cpu.loss}; worst gradient ${worst.name} ${worst.rel.toExponential(2)}, of the non-zero ones ${real.name} ${real.rel.toExponential(2)}`);
        expect(Math.abs(r.loss - cpu.loss) / cpu.loss).toBeLessThan(TOLERANCE[backend]);
        expect(worst.rel).toBeLessThan(TOLERANCE[backend]);
      }, 180_000);
    }

    it("webgl with float16 textures (forced here; some GPUs have nothing else) is detected and reported", async () => {
      const r = await inPage("webgl", true);
      expect(r.float16Only).toBe(true);
      const worst = worstGradientError(r, cpu, { aboveFloorOnly: true });
      const lossError = Math.abs(r.loss - cpu.loss) / cpu.loss;
      console.log(`webgl float16: loss ${r.loss} (rel. error ${lossError.toExponential(2)}), worst gradient ${worst.name} ${worst.rel.toExponential(2)}`);
      // 10-bit mantissas: far from the float32 tolerance, but still the same computation
      expect(worst.rel).toBeGreaterThan(TOLERANCE.webgl);
      expect(worst.rel).toBeLessThan(0.5);
    }, 180_000);

    it(`webgpu in Chromium matches cpu in the same page within ${TOLERANCE.webgpu} (tiny learner)`, async (ctx) => {
      const { page, errors } = await pageWithErrors(browser);
      try {
        await page.goto(`${origin}/index.html`);
        const r = await page.evaluate(() => (window as unknown as { runWebgpu(): Promise<WebgpuPageResult | null> }).runWebgpu());
        if (!r) return ctx.skip("no WebGPU adapter in this Chromium");
        expect(errors).toEqual([]);
        const [cpuHere, webgpu] = [r.cpu, r.webgpu].map((x) => ({ ...x, grads: new Float32Array(Uint8Array.from(Buffer.from(x.grads, "base64")).buffer) }));
        expect([cpuHere.backend, webgpu.backend]).toEqual(["cpu", "webgpu"]);
        expect(webgpu.names).toEqual(cpuHere.names);
        expect(r.leaked).toBe(0);
        const worst = worstGradientError(webgpu, cpuHere);
        const real = worstGradientError(webgpu, cpuHere, { aboveFloorOnly: true });
        const lossError = Math.abs(webgpu.loss - cpuHere.loss) / cpuHere.loss;
        console.log(`webgpu (${r.adapter.vendor}/${r.adapter.architecture}): loss ${webgpu.loss} vs cpu ${cpuHere.loss} (rel. ${lossError.toExponential(2)}); worst gradient ${worst.name} ${worst.rel.toExponential(2)}, of the non-zero ones ${real.name} ${real.rel.toExponential(2)}`);
        expect(lossError).toBeLessThan(TOLERANCE.webgpu);
        expect(worst.rel).toBeLessThan(TOLERANCE.webgpu);
      } finally {
        await page.close();
      }
    }, 180_000);

    it("'auto' takes webgpu only where its synchronous reads are right, else webgl", async () => {
      const { page, errors } = await pageWithErrors(browser);
      try {
        await page.goto(`${origin}/index.html`);
        const r = await page.evaluate(() => (window as unknown as { runAuto(): Promise<{ syncSum: number | null; auto: string }> }).runAuto());
        console.log(`webgpu's synchronous sum of 64 ones: ${r.syncSum}; 'auto' chose ${r.auto}`); // SwiftShader here: 0
        expect(r.auto).toBe(r.syncSum === 64 ? "webgpu" : "webgl");
        expect(errors).toEqual([]);
      } finally {
        await page.close();
      }
    }, 60_000);
  });
});
