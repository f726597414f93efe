// The page's side: training runs in a dedicated Worker (tfjs and byol-ts' kernels live there), and
// this object turns each method into a message and each reply into a promise, so a training step
// never blocks the page. The same API runs in Node on worker_threads: pass a worker_threads Worker
// whose script calls `serveTrainer(parentPort)`.
import type { EmbedResult, ImagesInput, InitOptions, Message, Method, Progress, ReadyInfo, RunResult, StartOptions, TrainerApi } from "./protocol";

/** A worker_threads Worker (Node), as far as this API uses it. */
export interface NodeWorker {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  // any: Node's own typings give each event's listener its own parameter type
  on(event: "message" | "error", listener: (value: any) => void): unknown;
  terminate(): unknown;
}

/** Options of {@link createWorkerTrainer}. */
export interface WorkerTrainerOptions extends InitOptions {
  /**
   * The worker: a Worker whose script calls `serveTrainer()`, the URL of such a script (started as
   * a module worker), or a Node worker_threads Worker. Default: the package's own script, which
   * bundlers that understand `new URL(…, import.meta.url)` ship beside the app.
   */
  worker?: Worker | URL | NodeWorker;
}

type Result<M extends Method> = Awaited<ReturnType<TrainerApi[M]>>;

/** Trains BYOL in a worker; every method's promise rejects with the worker's own error message. */
export class WorkerTrainer {
  /** What the worker runs on (set by {@link createWorkerTrainer}). */
  ready!: ReadyInfo;
  private next = 1;
  private readonly pending = new Map<number, { resolve(value: never): void; reject(error: Error): void }>();
  private readonly listeners = new Set<(p: Progress) => void>();

  constructor(private readonly worker: Worker | NodeWorker) {
    const failAll = (message: string) => {
      for (const p of this.pending.values()) p.reject(new Error(message));
      this.pending.clear();
    };
    if ("addEventListener" in worker) {
      worker.addEventListener("message", (e) => this.receive(e.data as Message));
      worker.addEventListener("error", (e) => {
        e.preventDefault();
        failAll(`the worker failed: ${e.message || "its script did not load"}`);
      });
      worker.addEventListener("messageerror", () => failAll("a message from the worker could not be read"));
    } else {
      worker.on("message", (m: Message) => this.receive(m));
      worker.on("error", (e: Error) => failAll(`the worker failed: ${e.message}`));
    }
  }

  /** Calls `listener` on every step and kNN evaluation; returns its unsubscribe function. */
  onProgress(listener: (p: Progress) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Trains until `untilStep` or `config.totalSteps`, or a stop; `options.images`' buffer moves to the worker. */
  start(options: StartOptions): Promise<RunResult> {
    const buffer = options.images?.buffer;
    return this.call("start", options, buffer instanceof ArrayBuffer ? [buffer] : []);
  }

  pause(): Promise<{ step: number }> {
    return this.call("pause", undefined);
  }

  resume(): Promise<{ step: number }> {
    return this.call("resume", undefined);
  }

  stop(): Promise<{ step: number }> {
    return this.call("stop", undefined);
  }

  /** The online representation of `input`'s images and their 3-D PCA (the images are copied). */
  embed(input: ImagesInput): Promise<EmbedResult> {
    return this.call("embed", input);
  }

  /** The run as checkpoint bytes, as `byol train` writes them. */
  save(): Promise<Uint8Array> {
    return this.call("save", undefined);
  }

  /** Restores checkpoint bytes; `start({ resume: true })` then continues that run. */
  load(bytes: Uint8Array): Promise<{ step: number; config: Result<"load">["config"] }> {
    return this.call("load", bytes);
  }

  /** Ends the worker; pending calls reject. */
  terminate(): void {
    void this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error("the worker was terminated"));
    this.pending.clear();
  }

  /** @internal */
  call<M extends Method>(method: M, arg: Parameters<TrainerApi[M]>[0], transfer: ArrayBuffer[] = []): Promise<Result<M>> {
    const id = this.next++;
    return new Promise<Result<M>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject });
      this.worker.postMessage({ id, method, arg }, transfer);
    });
  }

  private receive(m: Message): void {
    if ("progress" in m) {
      for (const listener of this.listeners) listener(m.progress);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (m.ok) p.resolve(m.value as never);
    else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
  }
}

/** Starts a training worker and its tfjs backend; rejects with the backend's error if it cannot start. */
export async function createWorkerTrainer(options: WorkerTrainerOptions): Promise<WorkerTrainer> {
  const given = options.worker ?? new URL("./worker-script.js", import.meta.url);
  const trainer = new WorkerTrainer(given instanceof URL ? new Worker(given, { type: "module" }) : given);
  try {
    trainer.ready = await trainer.call("init", { backend: options.backend, wasmPaths: options.wasmPaths, threads: options.threads });
  } catch (e) {
    if (options.worker === undefined || options.worker instanceof URL) trainer.terminate();
    throw e;
  }
  return trainer;
}
