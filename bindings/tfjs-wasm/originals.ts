// The tfjs-wasm kernels ours replace: kept to restore them, and to run them for the cases our
// kernels leave to tfjs (e.g. a Sum over inner axes).
import type { KernelConfig, KernelFunc, TensorInfo } from "@tensorflow/tfjs-core";

const originals = new Map<string, KernelConfig | undefined>();
const setUp = new WeakMap<KernelConfig, WeakSet<object>>();

/** Remembers the kernel registered under `name` before ours (undefined when there was none). */
export function rememberOriginal(name: string, config: KernelConfig | undefined): void {
  originals.set(name, config);
}

/** The remembered originals, by kernel name. */
export function rememberedOriginals(): Map<string, KernelConfig | undefined> {
  return originals;
}

/**
 * Runs tfjs' own kernel `name`. A tfjs-wasm kernel binds its wasm function in `setupFunc` when the
 * backend initialises, which it skips while ours is registered: bind it here first if needed.
 */
export function runOriginal(name: string, args: Parameters<KernelFunc>[0]): TensorInfo | TensorInfo[] {
  const config = originals.get(name);
  if (!config) throw new Error(`byol-ts wasm ${name}: tfjs-wasm has no ${name} kernel to fall back to`);
  ensureSetUp(config, args.backend);
  return config.kernelFunc(args);
}

/** Calls the kernel's setupFunc once per backend. */
export function ensureSetUp(config: KernelConfig, backend: object): void {
  if (!config.setupFunc) return;
  let seen = setUp.get(config);
  if (!seen) setUp.set(config, (seen = new WeakSet()));
  if (seen.has(backend)) return;
  config.setupFunc(backend as never);
  seen.add(backend);
}
