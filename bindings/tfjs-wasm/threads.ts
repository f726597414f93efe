// Helper threads for the convolution kernels in Node. tfjs-wasm in Node is single-threaded and its
// memory is not shared, so a helper cannot read tensors in place: each helper is a worker running
// the shared-memory build of our kernels on a shared WebAssembly.Memory of its own. The calling
// thread copies a helper's part of the batch in, wakes it through an Atomics word, computes its own
// part in place on tfjs memory, then blocks until the helper is done and copies the result back.
// Browsers cannot block their main thread (Atomics.wait), so there the kernels stay on one thread.
import { sharedBuild, sharedKernelModule, type SharedKernelBuild } from "./bridge";

/** Control words (Int32Array over a SharedArrayBuffer): request and done counters, call, args. */
const REQUEST = 0;
const DONE = 1;
const CALL = 2;
const ARGC = 3;
const ARGS = 4;
const MAX_ARGS = 28;
const FAILED = -1;
const PAGE = 65536;
/** Bytes after the control words where a helper leaves the message of a call that threw. */
const MESSAGE_BYTES = 256;

// a specifier held in a variable: browser bundlers must not try to resolve a Node built-in (esbuild
// folds a template literal of constants into a string and then fails to resolve it)
const WORKER_THREADS: string = "node:worker_threads";

/** A helper that has not answered in this long is stuck (a kernel takes milliseconds). */
const TIMEOUT_MS = 120_000;

// The worker: instantiate the kernels on the shared memory, then serve calls until told to stop
// (a negative request). Plain JS, evaluated by worker_threads. Atomics.wait can return with no new
// request (measured under load: about one wake in 2,000); running the last call again then would
// rewrite its output while the caller reads it, so only a new request number runs anything.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { module, memory, control, names } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(control);
parentPort.postMessage("ready");
let seen = 0;
for (;;) {
  Atomics.wait(c, ${REQUEST}, seen);
  const request = Atomics.load(c, ${REQUEST});
  if (request === seen) continue;
  seen = request;
  if (seen < 0) break;
  const args = Array.from(c.subarray(${ARGS}, ${ARGS} + c[${ARGC}]));
  try {
    exports[names[c[${CALL}]]](...args);
  } catch (e) {
    c[${CALL}] = ${FAILED};
    const text = new TextEncoder().encode(String(e).slice(0, ${MESSAGE_BYTES} / 4));
    new Uint8Array(control, 4 * (${ARGS} + ${MAX_ARGS}), ${MESSAGE_BYTES}).fill(0).set(text);
  }
  Atomics.store(c, ${DONE}, seen);
  Atomics.notify(c, ${DONE});
}
`;

/** One helper thread with its own shared memory. */
export class KernelThread {
  private seq = 0;
  private posted = "";
  private constructor(
    private readonly worker: { terminate(): Promise<number>; unref(): void },
    readonly memory: WebAssembly.Memory,
    private readonly control: Int32Array,
    private readonly names: readonly string[],
    /** The shared-memory build this helper runs. */
    readonly build: SharedKernelBuild,
  ) {}

  /** Starts a helper that can run the kernels named in `names`, from `build` (default: the one matching the loaded kernels). */
  static async start(names: readonly string[], build: SharedKernelBuild = sharedBuild()): Promise<KernelThread> {
    const { Worker } = (await import(/* webpackIgnore: true */ /* @vite-ignore */ WORKER_THREADS)) as typeof import("node:worker_threads");
    const memory = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
    const control = new SharedArrayBuffer(4 * (ARGS + MAX_ARGS) + MESSAGE_BYTES);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: await sharedKernelModule(build), memory, control, names } });
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    worker.unref(); // an idle helper must not keep the process alive
    return new KernelThread(worker, memory, new Int32Array(control), names, build);
  }

  /** Grows the helper's memory to at least `bytes`. */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / PAGE));
  }

  /** A float32 view of the helper's memory (take it after {@link reserve}). */
  floats(byteOffset: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, byteOffset, length);
  }

  /** Starts `name(...args)` on the helper and returns at once. */
  post(name: string, args: number[]): void {
    const call = this.names.indexOf(name);
    if (call < 0 || args.length > MAX_ARGS) throw new Error(`byol-ts kernel thread: cannot call ${name} with ${args.length} arguments`);
    const c = this.control;
    c[CALL] = call;
    c[ARGC] = args.length;
    c.set(args, ARGS);
    this.posted = name;
    Atomics.store(c, REQUEST, ++this.seq);
    Atomics.notify(c, REQUEST);
  }

  /** Blocks until the posted call has finished; a call that threw is an error carrying what the helper threw. */
  wait(): void {
    const c = this.control;
    // wait on the value seen, not on seq − 1: after an earlier timeout DONE may lag further behind
    for (let done = Atomics.load(c, DONE); done !== this.seq; done = Atomics.load(c, DONE)) {
      if (Atomics.wait(c, DONE, done, TIMEOUT_MS) === "timed-out") throw new Error(`byol-ts kernel thread: no answer in ${TIMEOUT_MS / 1000} s`);
    }
    if (c[CALL] !== FAILED) return;
    const bytes = new Uint8Array(c.buffer, 4 * (ARGS + MAX_ARGS), MESSAGE_BYTES);
    const end = bytes.indexOf(0);
    throw new Error(`byol-ts kernel thread: ${this.posted} failed (${new TextDecoder().decode(bytes.slice(0, end < 0 ? MESSAGE_BYTES : end))})`);
  }

  /** Stops the helper. */
  async stop(): Promise<void> {
    Atomics.store(this.control, REQUEST, -1);
    Atomics.notify(this.control, REQUEST);
    await this.worker.terminate();
  }
}

let helpers: KernelThread[] = [];

/**
 * Runs the convolution kernels on `threads` threads in all (the caller plus `threads − 1` helpers);
 * 1 stops the helpers. The helpers run the shared-memory twin of the loaded build (relaxed SIMD or
 * SIMD; see {@link sharedBuild}): helpers of another build are replaced. Node only: elsewhere it throws.
 */
export async function setKernelThreads(threads: number, names: readonly string[]): Promise<void> {
  if (!(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw new Error(`byol-ts kernel threads: expected an integer from 1 to 64, got ${threads}`);
  if (threads > 1 && !(typeof process !== "undefined" && process.versions?.node)) {
    throw new Error("byol-ts kernel threads: only in Node (a browser's main thread cannot wait for a helper)");
  }
  const build = sharedBuild();
  if (helpers.some((h) => h.build !== build)) while (helpers.length) await helpers.pop()!.stop();
  while (helpers.length > threads - 1) await helpers.pop()!.stop();
  while (helpers.length < threads - 1) helpers.push(await KernelThread.start(names, build));
}

/** The running helper threads (empty: the kernels run on the calling thread only). */
export function kernelHelpers(): readonly KernelThread[] {
  return helpers;
}

/** The compiled module the helper threads run ("relaxed-simd-shared" or "simd-shared"), null without helpers. */
export function kernelHelpersBuild(): `${SharedKernelBuild}-shared` | null {
  return helpers.length ? `${helpers[0].build}-shared` : null;
}
