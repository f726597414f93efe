// Runs our kernel module in place on tfjs-wasm's own WebAssembly.Memory: the module imports its
// memory and has no data segments and no allocator, so a second instance of the same bytes can
// read and write tfjs tensors directly. Inputs are tensor pointers, outputs come from
// backend.makeOutput, scratch from tfjs' malloc (kept and grown, never allocated per call).
//
// Threaded tfjs-wasm keeps its heap in a SharedArrayBuffer, which only a module declaring shared
// memory may import: the "simd-shared" build (same source, `--sharedMemory`) serves that case, and
// "relaxed-simd-shared" when the loaded build is relaxed SIMD (so a call's numbers do not depend on
// which thread or memory runs it). The kernel threads (threads.ts) use the same shared build.
import type { DataType, TensorInfo } from "@tensorflow/tfjs-core";
import { wasmBase64 as relaxedSharedBase64 } from "../generated/kernels-relaxed-simd-shared";
import { wasmBase64 as sharedBase64 } from "../generated/kernels-simd-shared";
import { kernelBuild, kernels, type KernelBuild, type RawExports } from "../loader";

/** The builds with a shared-memory twin: relaxed SIMD, else SIMD (the scalar build has none). */
export type SharedKernelBuild = "relaxed-simd" | "simd";

/** The compiled module names: a build, or a build's shared-memory twin. */
export type KernelModuleName = KernelBuild | `${SharedKernelBuild}-shared`;

/** The parts of tfjs-backend-wasm's BackendWasm this bridge relies on (not in its public types). */
export interface WasmBackendLike {
  wasm: {
    asm?: { memory?: WebAssembly.Memory };
    wasmMemory?: WebAssembly.Memory;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
  };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  refCount(dataId: object): number;
}

/** Our kernels instantiated on one tfjs-wasm backend's memory. */
export interface Bridge {
  /** The source variant running here (with `shared`, its shared-memory twin). */
  readonly build: KernelBuild;
  /** True on threaded tfjs-wasm (shared memory; our kernels still run on the calling thread). */
  readonly shared: boolean;
  /** The compiled module running: `build`, or `${build}-shared` when `shared`. */
  readonly moduleName: KernelModuleName;
  readonly exports: RawExports;
  /** Byte offset of a tensor's data in the shared memory. */
  ptr(t: TensorInfo): number;
  /**
   * Byte offset of a tensor's data for writing in place. Throws when other tensors share the data
   * (our zero-copy Identity makes `tf.clone` share, as on tfjs' cpu backend).
   */
  writablePtr(t: TensorInfo): number;
  /** A new float32 tensor owned by tfjs and its byte offset. */
  output(shape: number[]): { info: TensorInfo; ptr: number };
  /** At least `bytes` of scratch (contents undefined), reused across calls. */
  scratch(bytes: number): number;
}

interface Entry {
  module: WebAssembly.Module;
  bridge: Bridge;
  release(): void;
}

const bridges = new WeakMap<object, Entry>();

/** The backend's WebAssembly.Memory: Emscripten keeps it among the module's exports (asm) or as wasmMemory. */
export function backendMemory(backend: WasmBackendLike): WebAssembly.Memory {
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error("byol-ts wasm kernels: cannot find the WebAssembly.Memory of the tfjs wasm backend (is it tfjs-backend-wasm 4.x?)");
  }
  return memory;
}

function makeBridge(backend: WasmBackendLike, module: WebAssembly.Module, instance: WebAssembly.Instance): Entry {
  let scratchPtr = 0;
  let scratchBytes = 0;
  const twin = (Object.keys(sharedModules) as SharedKernelBuild[]).find((b) => sharedModules[b] === module);
  const build = twin ?? kernels().build;
  const bridge: Bridge = {
    build,
    shared: twin !== undefined,
    moduleName: twin ? `${twin}-shared` : build,
    exports: instance.exports as unknown as RawExports,
    ptr(t) {
      const data = backend.dataIdMap.get(t.dataId);
      if (!data) throw new Error(`byol-ts wasm kernels: tensor of shape [${t.shape}] is not on the wasm backend`);
      return data.memoryOffset >>> 0;
    },
    writablePtr(t) {
      const refs = backend.refCount(t.dataId);
      if (refs !== 1) throw new Error(`byol-ts wasm kernels: tensor of shape [${t.shape}] shares its data with ${refs - 1} other tensor(s); copy it (e.g. tf.add(x, 0)) before writing in place`);
      return this.ptr(t);
    },
    output(shape) {
      const info = backend.makeOutput(shape, "float32");
      return { info, ptr: this.ptr(info) };
    },
    scratch(bytes) {
      if (bytes > scratchBytes) {
        if (scratchPtr !== 0) backend.wasm._free(scratchPtr);
        // grow by at least half again, so a slowly rising size does not reallocate every call
        scratchBytes = Math.max(bytes, Math.ceil(scratchBytes * 1.5));
        scratchPtr = backend.wasm._malloc(scratchBytes) >>> 0;
        if (scratchPtr === 0) throw new Error(`byol-ts wasm kernels: tfjs wasm backend could not allocate ${scratchBytes} bytes of scratch`);
      }
      return scratchPtr;
    },
  };
  const release = () => {
    if (scratchPtr !== 0) backend.wasm._free(scratchPtr);
    scratchPtr = 0;
    scratchBytes = 0;
  };
  return { module, bridge, release };
}

const sharedModules: Partial<Record<SharedKernelBuild, WebAssembly.Module>> = {};
const SHARED_BASE64: Record<SharedKernelBuild, string> = { "relaxed-simd": relaxedSharedBase64, simd: sharedBase64 };
const sharedBytes = (build: SharedKernelBuild) => Uint8Array.from(atob(SHARED_BASE64[build]), (c) => c.charCodeAt(0));

/** The shared-memory build matching the loaded kernels: relaxed SIMD with relaxed SIMD, else SIMD. */
export function sharedBuild(): SharedKernelBuild {
  return kernelBuild() === "relaxed-simd" ? "relaxed-simd" : "simd";
}

/** A shared-memory build (default: {@link sharedBuild}), compiled once (kernel threads and threaded tfjs-wasm use it). */
export async function sharedKernelModule(build: SharedKernelBuild = sharedBuild()): Promise<WebAssembly.Module> {
  return (sharedModules[build] ??= await WebAssembly.compile(sharedBytes(build)));
}

const imports = (backend: WasmBackendLike) => ({ env: { memory: backendMemory(backend) } });

const isShared = (backend: WasmBackendLike) =>
  typeof SharedArrayBuffer !== "undefined" && backendMemory(backend).buffer instanceof SharedArrayBuffer;

/** The module this backend needs: the loaded build, or the shared-memory build (null until compiled). */
function wanted(backend: WasmBackendLike): WebAssembly.Module | null {
  return isShared(backend) ? (sharedModules[sharedBuild()] ?? null) : kernels().module;
}

/** The cached bridge when it runs the module this backend needs. */
function current(backend: WasmBackendLike): Bridge | null {
  const cached = bridges.get(backend);
  return cached && cached.module === wanted(backend) ? cached.bridge : null;
}

function install(backend: WasmBackendLike, module: WebAssembly.Module, instance: WebAssembly.Instance): Bridge {
  bridges.get(backend)?.release();
  const entry = makeBridge(backend, module, instance);
  bridges.set(backend, entry);
  return entry.bridge;
}

/**
 * Instantiates the loaded kernel build on the backend's memory ahead of use (asynchronously, as
 * browsers require for modules this size on the main thread). Call after `initKernels`.
 */
export async function prepareBridge(backend: WasmBackendLike): Promise<Bridge> {
  const ready = current(backend);
  if (ready) return ready;
  const module = wanted(backend) ?? (await sharedKernelModule());
  return install(backend, module, await WebAssembly.instantiate(module, imports(backend)));
}

/**
 * The bridge for a backend, made synchronously when {@link prepareBridge} was not awaited (fine in
 * Node and workers) or when the kernel build changed since.
 */
export function bridgeFor(backend: WasmBackendLike): Bridge {
  const ready = current(backend);
  if (ready) return ready;
  const build = sharedBuild();
  const module = wanted(backend) ?? (sharedModules[build] = new WebAssembly.Module(sharedBytes(build)));
  return install(backend, module, new WebAssembly.Instance(module, imports(backend)));
}
