// byol-ts' wasm kernels in a real browser: headless Chromium loads tfjs-wasm from a local server,
// setBackend('wasm') installs our kernels, and conv gradients match the cpu backend. A second,
// cross-origin-isolated page asks for threaded tfjs-wasm (SharedArrayBuffer heap), so our kernels
// must come from the shared-memory build.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "./helpers";

const CHROMIUM = "/usr/bin/chromium";
const WASM_DIR = join(repoRoot, "node_modules", "@tensorflow", "tfjs-backend-wasm", "dist");

const entry = `
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { setBackend } from "./src/backend";
window.run = async (threaded) => {
  setWasmPaths("/wasm/");
  const info = await setBackend("wasm", { wasmThreads: threaded });
  const grads = () => tf.tidy(() => {
    const x = tf.tensor4d(Array.from({ length: 2 * 9 * 9 * 24 }, (_, i) => Math.sin(i * 0.37)), [2, 9, 9, 24]);
    const w = tf.tensor4d(Array.from({ length: 3 * 3 * 24 * 16 }, (_, i) => Math.cos(i * 0.11) * 0.2), [3, 3, 24, 16]);
    const f = (a, b) => tf.sum(tf.square(tf.conv2d(a, b, 2, "same")));
    return tf.grads(f)([x, w]).map((g) => Array.from(g.dataSync()));
  });
  const wasm = grads();
  await tf.setBackend("cpu");
  const cpu = grads();
  const rel = (a, b) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / b.reduce((s, v) => s + v * v, 0));
  const b = tf.findBackend("wasm").wasm;
  const sharedHeap = typeof SharedArrayBuffer !== "undefined" && (b.asm?.memory ?? b.wasmMemory).buffer instanceof SharedArrayBuffer;
  return { info, sharedHeap, threads: getThreadsCount(), isolated: self.crossOriginIsolated, dx: rel(wasm[0], cpu[0]), dw: rel(wasm[1], cpu[1]) };
};`;

describe.skipIf(!existsSync(CHROMIUM))("wasm kernels in Chromium", () => {
  let server: Server;
  let origin = "";
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "byol-wasm-browser-"));
    await build({ stdin: { contents: entry, resolveDir: repoRoot, loader: "ts" }, bundle: true, format: "iife", platform: "browser",
      outfile: join(dir, "bundle.js"), logLevel: "silent" });
    const bundle = readFileSync(join(dir, "bundle.js"));
    server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const headers: Record<string, string> = { "Cross-Origin-Resource-Policy": "same-origin" };
      if (url.pathname === "/isolated.html") Object.assign(headers, { "Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp" });
      if (url.pathname.endsWith(".html")) {
        res.writeHead(200, { ...headers, "Content-Type": "text/html" }).end('<script src="/bundle.js"></script>');
      } else if (url.pathname === "/bundle.js") {
        res.writeHead(200, { ...headers, "Content-Type": "text/javascript" }).end(bundle);
      } else if (url.pathname.startsWith("/wasm/") && existsSync(join(WASM_DIR, url.pathname.slice(6)))) {
        res.writeHead(200, { ...headers, "Content-Type": "application/wasm" }).end(readFileSync(join(WASM_DIR, url.pathname.slice(6))));
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const address = server.address();
    origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  async function runPage(page: string, threaded: boolean) {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const tab = await browser.newPage();
      await tab.goto(`${origin}/${page}`);
      return await tab.evaluate((t) => (window as unknown as { run: (t: boolean) => Promise<Record<string, unknown>> }).run(t), threaded);
    } finally {
      await browser.close();
    }
  }

  it("setBackend('wasm') installs byol-ts kernels and conv gradients match cpu", async () => {
    const out = await runPage("plain.html", false);
    expect(out.info).toMatchObject({ name: "wasm", simd: true, threads: 1, kernels: "byol-ts", kernelBuild: "relaxed-simd" }); // Chrome ≥ 114 has relaxed SIMD
    expect(out.sharedHeap).toBe(false);
    expect(out.dx).toBeLessThan(1e-5);
    expect(out.dw).toBeLessThan(1e-5);
  });

  it("on threaded tfjs-wasm (cross-origin isolated) the shared-memory build runs the kernels", async () => {
    const out = await runPage("isolated.html", true);
    expect(out.isolated).toBe(true);
    // the threaded binary (its heap a SharedArrayBuffer) even when it starts one worker, as here on 2 cores
    expect(out.sharedHeap).toBe(true);
    expect(out.info).toMatchObject({ name: "wasm", kernels: "byol-ts", kernelBuild: "relaxed-simd-shared" });
    expect(out.dx).toBeLessThan(1e-5);
    expect(out.dw).toBeLessThan(1e-5);
  });
});
