// Loads the kernels identically in Node and browsers: probe relaxed SIMD and SIMD with
// WebAssembly.validate on tiny modules, pick the relaxed-SIMD, SIMD or scalar build (all embedded as
// base64), instantiate on our memory. Node 20 runs relaxed SIMD only behind a V8 flag, which
// {@link enableRelaxedSimd} sets (V8 reads it when it validates or compiles, so setting it at run
// time works, worker threads included); Chrome ≥ 114, Firefox ≥ 120 and Node ≥ 22 have it by default.
import { wasmBase64 as relaxedBase64 } from "./generated/kernels-relaxed-simd";
import { wasmBase64 as scalarBase64 } from "./generated/kernels-scalar";
import { wasmBase64 as simdBase64 } from "./generated/kernels-simd";
import { Heap, type Staging } from "./heap";

/**
 * Which compiled variant of the kernels is running: "relaxed-simd" (the convolutions' multiply-adds
 * are f32x4.relaxed_madd, fused where the CPU has FMA, so they round once, not twice), "simd", "scalar".
 */
export type KernelBuild = "relaxed-simd" | "simd" | "scalar";

/** Every build, fastest first. */
export const KERNEL_BUILDS: readonly KernelBuild[] = ["relaxed-simd", "simd", "scalar"];

/**
 * (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
 * Valid only where the engine implements fixed-width SIMD.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/**
 * (module (func (result v128) i32.const 0 i8x16.splat i32.const 0 i8x16.splat i32.const 0 i8x16.splat
 * f32x4.relaxed_madd)). f32x4.relaxed_madd is opcode 0xfd 0x105, LEB128 0x85 0x02.
 * Valid only where the engine implements relaxed SIMD.
 */
export const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0,
  65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11,
]);

const validates = (bytes: Uint8Array) => {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(bytes as BufferSource);
  } catch {
    return false;
  }
};

/** True when this engine runs WebAssembly SIMD. */
export function simdSupported(): boolean {
  return validates(SIMD_PROBE);
}

/** True when this engine runs relaxed SIMD now (in Node 20, after {@link enableRelaxedSimd}). */
export function relaxedSimdSupported(): boolean {
  return validates(RELAXED_SIMD_PROBE);
}

// held in a variable so browser bundlers do not try to resolve a Node built-in
const V8_MODULE: string = "node:v8";

/**
 * Makes relaxed SIMD available where it can be: in Node versions that keep it behind
 * `--experimental-wasm-relaxed-simd` (Node 20) this sets that V8 flag for the process (it takes
 * effect for modules validated or compiled afterwards, in every thread). Elsewhere it changes
 * nothing. Resolves to {@link relaxedSimdSupported}. {@link initKernels} calls it for the 'auto'
 * and 'relaxed-simd' builds.
 */
export async function enableRelaxedSimd(): Promise<boolean> {
  if (relaxedSimdSupported() || !simdSupported()) return relaxedSimdSupported();
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (typeof proc?.versions?.node !== "string") return false;
  try {
    const v8 = (proc.getBuiltinModule?.(V8_MODULE) ?? (await import(/* webpackIgnore: true */ /* @vite-ignore */ V8_MODULE))) as typeof import("node:v8");
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    // not Node's v8 module after all (a bundler's stub): no relaxed SIMD
  }
  return relaxedSimdSupported();
}

function decodeBase64(s: string): Uint8Array {
  if (typeof Buffer !== "undefined") return new Uint8Array(Buffer.from(s, "base64"));
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Raw kernel exports: each wrapper in bindings/ types the symbols it uses. */
export type RawExports = Record<string, (...args: number[]) => number | void>;

interface Loaded {
  build: KernelBuild;
  module: WebAssembly.Module;
  exports: RawExports;
  heap: Heap;
}

const BASE64: Record<KernelBuild, string> = { "relaxed-simd": relaxedBase64, simd: simdBase64, scalar: scalarBase64 };

let loaded: Loaded | null = null;
let pending: Promise<Loaded> | null = null;
const stagings = new Set<Staging>();

/** Options for {@link initKernels}. */
export interface InitKernelsOptions {
  /**
   * `'auto'` (default) picks relaxed SIMD when the engine validates it (enabling it first in Node
   * 20, see {@link enableRelaxedSimd}), else SIMD, else scalar; force a build for tests and
   * comparisons (a forced build the engine cannot run is an error).
   */
  build?: "auto" | KernelBuild;
}

/**
 * Compiles and instantiates the kernels once (idempotent). Asking for a different build replaces
 * the instance and its memory: buffers from the old one become invalid.
 */
export async function initKernels(options: InitKernelsOptions = {}): Promise<KernelBuild> {
  const want = options.build ?? "auto";
  if (want !== "auto" && !KERNEL_BUILDS.includes(want)) {
    throw new Error(`initKernels: build must be 'auto', 'relaxed-simd', 'simd' or 'scalar', got ${JSON.stringify(want)}`);
  }
  const relaxed = want === "auto" || want === "relaxed-simd" ? await enableRelaxedSimd() : false;
  const build: KernelBuild = want === "auto" ? (relaxed ? "relaxed-simd" : simdSupported() ? "simd" : "scalar") : want;
  if (build === "relaxed-simd" && !relaxed) {
    throw new Error(
      "initKernels: the relaxed-SIMD build was requested but this engine does not support WebAssembly relaxed SIMD " +
        "(Chrome ≥ 114, Firefox ≥ 120, Node ≥ 22, or Node 20 with --experimental-wasm-relaxed-simd); use build 'simd' or 'auto'",
    );
  }
  if (build === "simd" && !simdSupported()) {
    throw new Error("initKernels: the SIMD build was requested but this engine does not support WebAssembly SIMD; use build 'scalar' or 'auto'");
  }
  if (pending) await pending.catch(() => undefined);
  if (loaded?.build === build) return build;
  pending = (async () => {
    const module = await WebAssembly.compile(decodeBase64(BASE64[build]) as BufferSource);
    const memory = new WebAssembly.Memory({ initial: 1 });
    const exports = await instantiateOn(module, memory);
    for (const s of stagings) s.reset();
    return { build, module, exports, heap: new Heap(memory) };
  })();
  try {
    loaded = await pending;
  } finally {
    pending = null;
  }
  return build;
}

/** Instantiates a compiled kernel module on a given memory (ours, or a tfjs-wasm backend's). */
export async function instantiateOn(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<RawExports> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as RawExports;
}

/** The running build, or null before {@link initKernels}. */
export function kernelBuild(): KernelBuild | null {
  return loaded?.build ?? null;
}

/** The loaded kernels; throws a clear error when {@link initKernels} has not completed. */
export function kernels(): Loaded {
  if (!loaded) throw new Error("byol-ts kernels are not initialised: await initKernels() first");
  return loaded;
}

/** Registers a staging buffer so it is forgotten when the heap is replaced. */
export function trackStaging(s: Staging): Staging {
  stagings.add(s);
  return s;
}
