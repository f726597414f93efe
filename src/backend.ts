// Backend choice in one place. The user names a backend (or 'auto'); this file probes what the
// runtime offers, initialises tfjs, and on wasm installs byol-ts' kernels (backward convolutions
// and friends) so conv nets train there, fast.
import * as tf from "./tf";
import { initKernels, type KernelBuild } from "../bindings/loader";
import { prepareBridge, type KernelModuleName, type WasmBackendLike } from "../bindings/tfjs-wasm/bridge";
import { CONV_KERNELS } from "../bindings/tfjs-wasm/conv";
import { GEMM_KERNEL } from "../bindings/tfjs-wasm/gemm";
import { kernelHelpersBuild, setKernelThreads } from "../bindings/tfjs-wasm/threads";
import { registerWasmKernels, unregisterWasmKernels } from "../bindings/tfjs-wasm/register";

/** A backend to run on; `'auto'` picks the fastest that works here. */
export type BackendName = "auto" | "wasm" | "webgl" | "webgpu" | "cpu";

/** What {@link setBackend} chose and how it runs. */
export interface BackendInfo {
  /** The tfjs backend now active. */
  name: Exclude<BackendName, "auto">;
  /** True when the backend computes with WebAssembly SIMD (wasm only). */
  simd: boolean;
  /** CPU threads tfjs computes with (wasm: tfjs-wasm's thread pool, 1 in Node; 1 for the others). */
  threads: number;
  /** Threads byol-ts' convolution and matrix-product kernels use (wasm; 1 elsewhere). */
  kernelThreads: number;
  /** Whose kernels run the backward convolutions: ours (wasm) or tfjs' own. */
  kernels: "byol-ts" | "tfjs";
  /**
   * The compiled byol-ts kernel module running on the calling thread, in place on tfjs-wasm's
   * memory: 'relaxed-simd', 'simd' or 'scalar', or a '-shared' twin on threaded tfjs-wasm; null
   * when tfjs' kernels run.
   */
  kernelBuild: KernelModuleName | null;
  /** The module the kernel helper threads run ('relaxed-simd-shared' or 'simd-shared'); null without helpers. */
  helperBuild: "relaxed-simd-shared" | "simd-shared" | null;
}

/** Options of {@link setBackend}. */
export interface SetBackendOptions {
  /**
   * Force a build of the byol-ts kernels on wasm (tests, comparisons); default `'auto'`: relaxed
   * SIMD where the engine has it (in Node 20 byol-ts enables it, see `enableRelaxedSimd`), else SIMD.
   */
  kernelBuild?: "auto" | KernelBuild;
  /** Use tfjs-wasm's own kernels only (for comparisons); default false. */
  tfjsKernelsOnly?: boolean;
  /**
   * Let tfjs-wasm start threaded where the page allows it (cross-origin isolated): its forward
   * convolutions then use every core, our kernels run on one. Default false (single-threaded
   * tfjs-wasm, where our forward kernel is used too). No effect in Node.
   */
  wasmThreads?: boolean;
  /**
   * Threads for byol-ts' convolution and matrix-product kernels on wasm in Node (the caller plus helper workers, each
   * taking part of the batch); default 1. Results depend on the count only through the order of
   * the filter gradient's sum over images (within float32 rounding); a count gives the same
   * numbers every run. Browsers keep 1 (their main thread cannot wait for a helper).
   */
  kernelThreads?: number;
}

/** Every name {@link setBackend} takes. */
export const BACKEND_NAMES: readonly BackendName[] = ["auto", "wasm", "webgl", "webgpu", "cpu"];

const isNode = () => typeof process !== "undefined" && typeof process.versions?.node === "string";

const WEBGPU_PACKAGE: string = "@tensorflow/tfjs-backend-webgpu";

/** Loads the tfjs package that registers `name`, if it is not registered yet. */
async function load(name: Exclude<BackendName, "auto">): Promise<void> {
  if (tf.findBackendFactory(name)) return;
  // imported when chosen: a bundled app gets each backend as a chunk loaded only if it runs there
  if (name === "cpu") await import("@tensorflow/tfjs-backend-cpu");
  if (name === "webgl") await import("@tensorflow/tfjs-backend-webgl");
  if (name === "wasm") await import("@tensorflow/tfjs-backend-wasm");
  // webgpu is an optional peer dependency: a specifier bundlers do not resolve at build time, so an
  // app without the package builds; an app that wants WebGPU imports the package itself (which
  // registers the backend, found above) or maps the name (import maps, Node)
  if (name === "webgpu") await import(/* @vite-ignore */ WEBGPU_PACKAGE);
}

/** Quick capability checks, so 'auto' does not try a backend bound to fail. */
async function available(name: Exclude<BackendName, "auto">): Promise<boolean> {
  const g = globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<unknown> } }; document?: unknown; OffscreenCanvas?: unknown };
  if (name === "webgpu") return !!g.navigator?.gpu && !!(await g.navigator.gpu.requestAdapter().catch(() => null));
  if (name === "webgl") return !isNode() && (g.document !== undefined || g.OffscreenCanvas !== undefined);
  return true;
}

async function activate(name: Exclude<BackendName, "auto">, options: SetBackendOptions): Promise<BackendInfo> {
  let ok = false;
  let reason = "";
  try {
    await load(name);
    if (name === "wasm" && !options.tfjsKernelsOnly && !options.wasmThreads && !tf.findBackend("wasm")) {
      // single-threaded tfjs-wasm: the path tested end to end (in Node it is the only one); on a
      // threaded backend made elsewhere our kernels run from the shared-memory build
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    }
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (e) {
    reason = `: ${(e as Error)?.message ?? String(e)}`;
  }
  if (!ok || tf.getBackend() !== name) {
    const hint = name === "wasm" ? " (install @tensorflow/tfjs-backend-wasm, an optional peer; browsers: serve its .wasm files and call setWasmPaths)"
      : name === "webgpu" ? ` (bundled apps: import "${WEBGPU_PACKAGE}" before setBackend)` : "";
    throw new Error(`byol-ts setBackend: the '${name}' backend could not be initialised${reason}${hint}`);
  }
  if (name !== "wasm") return { name, simd: false, threads: 1, kernelThreads: 1, kernels: "tfjs", kernelBuild: null, helperBuild: null };
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const tfjsSimd = (await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")) as boolean;
  const threads = wasm.getThreadsCount();
  if (options.tfjsKernelsOnly) {
    unregisterWasmKernels();
    return { name, simd: tfjsSimd, threads, kernelThreads: 1, kernels: "tfjs", kernelBuild: null, helperBuild: null };
  }
  await initKernels({ build: options.kernelBuild ?? "auto" });
  // tfjs-wasm initialised threaded before byol-ts could opt out gets the shared-memory build
  const bridge = await prepareBridge(tf.backend() as unknown as WasmBackendLike);
  registerWasmKernels();
  await setKernelThreads(options.kernelThreads ?? 1, [...CONV_KERNELS, GEMM_KERNEL]);
  return {
    name,
    simd: tfjsSimd && bridge.build !== "scalar",
    threads,
    kernelThreads: options.kernelThreads ?? 1,
    kernels: "byol-ts",
    kernelBuild: bridge.moduleName,
    helperBuild: kernelHelpersBuild(),
  };
}

/**
 * tfjs-webgpu reads synchronously through a canvas copy, which some devices get wrong (SwiftShader
 * reads a reduction back as zeros); byol-ts' evaluation (kNN, PCA) reads that way (the training
 * step reads asynchronously).
 */
function syncReadWorks(): boolean {
  const sum = tf.tidy(() => tf.sum(tf.ones([64])));
  const ok = sum.dataSync()[0] === 64;
  sum.dispose();
  return ok;
}

/**
 * Chooses the tfjs backend and returns what runs. In Node `'auto'` is wasm (with byol-ts'
 * kernels); in browsers it tries WebGPU (where its synchronous reads are right), then WebGL, then
 * wasm, then cpu. A backend that cannot start throws an error naming it.
 */
export async function setBackend(name: BackendName = "auto", options: SetBackendOptions = {}): Promise<BackendInfo> {
  if (!BACKEND_NAMES.includes(name)) throw new Error(`byol-ts setBackend: unknown backend ${JSON.stringify(name)}; use one of ${BACKEND_NAMES.join(", ")}`);
  if (name !== "auto") return activate(name, options);
  const order: Exclude<BackendName, "auto">[] = isNode() ? ["wasm", "cpu"] : ["webgpu", "webgl", "wasm", "cpu"];
  const failures: string[] = [];
  for (const candidate of order) {
    if (!(await available(candidate).catch(() => false))) continue;
    try {
      const info = await activate(candidate, options);
      if (candidate !== "webgpu" || syncReadWorks()) return info;
      failures.push("byol-ts setBackend: 'webgpu' reads synchronously wrong values here (tfjs-webgpu's canvas read-back)");
    } catch (e) {
      failures.push((e as Error).message);
    }
  }
  throw new Error(`byol-ts setBackend('auto'): no backend could be initialised:\n${failures.join("\n")}`);
}
