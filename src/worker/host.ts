// The worker's message loop: each call from the page runs on one TrainerSession and gets one reply,
// its value (typed arrays moved, not copied) or its error's own name and message.
import type { Call, Message, Method } from "./protocol";
import { TrainerSession } from "./session";

/** Where the worker talks to the page: a worker's global scope, or Node's `parentPort`. */
export interface Endpoint {
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

const METHODS: readonly Method[] = ["init", "start", "pause", "resume", "stop", "embed", "save", "load"];

/** The array buffers of `value` (itself, or its fields) that can move to the page. */
function buffersOf(value: unknown): ArrayBuffer[] {
  const parts = value !== null && typeof value === "object" && !ArrayBuffer.isView(value) ? Object.values(value) : [value];
  const buffers = parts.filter(ArrayBuffer.isView).map((v) => v.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
  return [...new Set(buffers)];
}

/**
 * Serves the trainer API on `endpoint`: call it once in the worker's script (in a browser worker
 * with no argument; on Node's worker_threads with `parentPort`).
 */
export function serveTrainer(endpoint: Endpoint = globalThis as unknown as Endpoint): void {
  const post = (message: Message, transfer: ArrayBuffer[] = []) => endpoint.postMessage(message, transfer);
  const session = new TrainerSession((progress) => post({ progress }));
  endpoint.addEventListener("message", ({ data }) => {
    const { id, method, arg } = data as Call;
    Promise.resolve()
      .then((): unknown => {
        if (!METHODS.includes(method)) throw new Error(`unknown method ${JSON.stringify(method)}: use one of ${METHODS.join(", ")}`);
        return (session[method] as (a: unknown) => unknown).call(session, arg);
      })
      .then((value) => post({ id, ok: true, value }, buffersOf(value)))
      .catch((e: unknown) => {
        const error = e instanceof Error ? { name: e.name, message: e.message } : { name: "Error", message: String(e) };
        post({ id, ok: false, error });
      });
  });
}
