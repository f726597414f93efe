// Loads the kernels identically in Node and browsers: probe SIMD with WebAssembly.validate on a
// tiny module, pick the SIMD or scalar build (both embedded as base64), instantiate on our memory.
import { wasmBase64 as scalarBase64 } from "./generated/kernels-scalar";
import { wasmBase64 as simdBase64 } from "./generated/kernels-simd";
import { Heap, type Staging } from "./heap";

/** Which compiled variant of the kernels is running. */
export type KernelBuild = "simd" | "scalar";

/**
 * (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt))
 * Valid only where the engine implements fixed-width SIMD.
 */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True when this engine runs WebAssembly SIMD. */
export function simdSupported(): boolean {
  try {
    return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
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

let loaded: Loaded | null = null;
let pending: Promise<Loaded> | null = null;
const stagings = new Set<Staging>();

/** Options for {@link initKernels}. */
export interface InitKernelsOptions {
  /** `'auto'` (default) picks SIMD when the engine validates it; force either build for tests. */
  build?: "auto" | KernelBuild;
}

/**
 * Compiles and instantiates the kernels once (idempotent). Asking for a different build replaces
 * the instance and its memory: buffers from the old one become invalid.
 */
export async function initKernels(options: InitKernelsOptions = {}): Promise<KernelBuild> {
  const want = options.build ?? "auto";
  if (want !== "auto" && want !== "simd" && want !== "scalar") {
    throw new Error(`initKernels: build must be 'auto', 'simd' or 'scalar', got ${JSON.stringify(want)}`);
  }
  const build: KernelBuild = want === "auto" ? (simdSupported() ? "simd" : "scalar") : want;
  if (build === "simd" && !simdSupported()) {
    throw new Error("initKernels: the SIMD build was requested but this engine does not support WebAssembly SIMD; use build 'scalar' or 'auto'");
  }
  if (pending) await pending.catch(() => undefined);
  if (loaded?.build === build) return build;
  pending = (async () => {
    const module = await WebAssembly.compile(decodeBase64(build === "simd" ? simdBase64 : scalarBase64) as BufferSource);
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
