// The worker's backend: tfjs started inside the worker (wasm threads only where the page is
// cross-origin isolated, WebGL on an OffscreenCanvas, WebGPU where an adapter exists), and what the
// page should know about how it runs.
import * as tf from "../tf";
import { setBackend } from "../backend";
import type { InitOptions, ReadyInfo } from "./protocol";

const inNode = () => typeof process !== "undefined" && typeof process.versions?.node === "string";

/** Starts the backend `options` names; the notes say why wasm runs on one thread, if it does. */
export async function startWorkerBackend(options: InitOptions): Promise<ReadyInfo> {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  if (options.wasmPaths !== undefined) (await import("@tensorflow/tfjs-backend-wasm")).setWasmPaths(options.wasmPaths);
  const wantThreads = options.threads ?? isolated;
  const backend = await setBackend(options.backend, { wasmThreads: wantThreads && isolated });
  const notes: string[] = [];
  if (backend.name === "wasm" && backend.threads <= 1) {
    notes.push(inNode() ? "wasm runs single-threaded: tfjs-wasm has no threads in Node"
      : !wantThreads ? "wasm runs single-threaded, as asked (threads: false)"
      : !isolated ? "wasm runs single-threaded: the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp for threads)"
      : `wasm runs one thread: tfjs-wasm's threaded build chose 1 for ${(globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency} core(s)`);
  }
  const float16Only = backend.name === "webgl" ? !tf.env().getBool("WEBGL_RENDER_FLOAT32_ENABLED") : null;
  if (float16Only) notes.push("WebGL renders to float16 textures only here: losses near 0 lose precision");
  return { backend, crossOriginIsolated: isolated, float16Only, notes };
}
