// Typed wrappers over assembly/ema.ts: blend Float32Arrays through reusable staging, or blend
// parameters that live in kernel memory (EmaBuffers) with no copies at all.
import { alignUp, type Heap, Staging, type WasmF32 } from "./heap";
import { kernels, trackStaging } from "./loader";

interface EmaExports {
  ema_blend(target: number, online: number, out: number, n: number, tau: number): void;
  ema_blend_many(targets: number, onlines: number, outs: number, lengths: number, count: number, tau: number): void;
}

const raw = () => kernels().exports as unknown as EmaExports;
const staging = trackStaging(new Staging(() => kernels().heap));


function checkTau(where: string, tau: number): void {
  if (typeof tau !== "number" || !Number.isFinite(tau) || tau < 0 || tau > 1) {
    throw new RangeError(`${where}: tau must be a finite number in [0, 1], got ${tau}`);
  }
}

function checkPair(where: string, target: unknown, online: unknown, label = ""): void {
  if (!(target instanceof Float32Array) || !(online instanceof Float32Array)) {
    throw new TypeError(`${where}: target${label} and online${label} must be Float32Arrays`);
  }
  if (target.length !== online.length) {
    throw new RangeError(`${where}: target${label} has ${target.length} floats but online${label} has ${online.length}`);
  }
}

/**
 * EMA update in place: `target[i] = tau·target[i] + (1 − tau)·online[i]` (BYOL's target update).
 * Stages both arrays in kernel memory (reused between calls, no per-call allocation).
 */
export function emaBlend(target: Float32Array, online: Float32Array, tau: number): void {
  checkPair("emaBlend", target, online);
  checkTau("emaBlend", tau);
  const n = target.length;
  if (n === 0) return;
  const { heap } = kernels();
  const t = staging.ensure(2 * alignUp(4 * n));
  const o = t + alignUp(4 * n);
  heap.f32(t, n).set(target);
  heap.f32(o, n).set(online);
  raw().ema_blend(t, o, t, n, tau);
  target.set(heap.f32(t, n));
}

/**
 * {@link emaBlend} over many parameter tensors in one kernel call: `targets[k]` is blended in place
 * towards `onlines[k]`.
 */
export function emaBlendMany(targets: readonly Float32Array[], onlines: readonly Float32Array[], tau: number): void {
  if (!Array.isArray(targets) || !Array.isArray(onlines) || targets.length !== onlines.length) {
    throw new RangeError(`emaBlendMany: targets and onlines must be arrays of equal length, got ${targets?.length} and ${onlines?.length}`);
  }
  targets.forEach((t, k) => checkPair("emaBlendMany", t, onlines[k], `[${k}]`));
  checkTau("emaBlendMany", tau);
  const count = targets.length;
  if (count === 0) return;
  // layout: three i32 tables (target pointers, online pointers, lengths), then every run
  const table = alignUp(4 * count);
  let bytes = 3 * table;
  for (const t of targets) bytes += 2 * alignUp(4 * t.length);
  const { heap } = kernels();
  const base = staging.ensure(bytes);
  const tables = new Int32Array(heap.memory.buffer, base, 3 * (table >> 2));
  let at = base + 3 * table;
  for (let k = 0; k < count; k++) {
    const n = targets[k].length;
    tables[k] = at;
    heap.f32(at, n).set(targets[k]);
    at += alignUp(4 * n);
    tables[(table >> 2) + k] = at;
    heap.f32(at, n).set(onlines[k]);
    at += alignUp(4 * n);
    tables[2 * (table >> 2) + k] = n;
  }
  raw().ema_blend_many(base, base + table, base, base + 2 * table, count, tau);
  for (let k = 0; k < count; k++) targets[k].set(heap.f32(tables[k], targets[k].length));
}

/**
 * Target and online parameters kept in kernel memory, so the EMA update runs with no copies.
 * Each tensor k (of `lengths[k]` floats) has a target and an online run; both sets are laid out
 * contiguously (16-byte aligned), so {@link EmaBuffers.blend} is a single kernel call.
 * Views are valid until the next kernel-memory allocation: take them again after one.
 */
export class EmaBuffers {
  /** Floats per tensor, as given. */
  readonly lengths: readonly number[];
  private readonly offsets: number[] = [];
  private readonly heap: Heap;
  private target: WasmF32 | null;
  private online: WasmF32 | null;

  /** Allocates zeroed target and online runs for tensors of the given lengths. */
  constructor(lengths: readonly number[]) {
    if (!Array.isArray(lengths)) throw new TypeError("EmaBuffers: lengths must be an array of tensor sizes");
    let total = 0;
    lengths.forEach((n, k) => {
      if (!Number.isInteger(n) || n < 0) throw new RangeError(`EmaBuffers: lengths[${k}] must be a non-negative integer, got ${n}`);
      this.offsets.push(total);
      total += alignUp(4 * n) >> 2;
    });
    this.lengths = [...lengths];
    this.heap = kernels().heap;
    this.target = this.heap.allocF32(total);
    this.online = this.heap.allocF32(total);
    this.target.view().fill(0);
    this.online.view().fill(0);
  }

  private runs(where: string): { target: WasmF32; online: WasmF32 } {
    if (!this.target || !this.online) throw new Error(`EmaBuffers.${where}: the buffers were freed`);
    if (kernels().heap !== this.heap) throw new Error(`EmaBuffers.${where}: the kernels were re-initialised (another build), so these buffers are gone`);
    return { target: this.target, online: this.online };
  }

  private slice(run: WasmF32, k: number, where: string): Float32Array {
    if (!Number.isInteger(k) || k < 0 || k >= this.lengths.length) {
      throw new RangeError(`EmaBuffers.${where}: tensor index ${k} is out of range [0, ${this.lengths.length})`);
    }
    return this.heap.f32(run.ptr + 4 * this.offsets[k], this.lengths[k]);
  }

  /** The target parameters of tensor k, in kernel memory (write to set them). */
  targetView(k: number): Float32Array {
    return this.slice(this.runs("targetView").target, k, "targetView");
  }

  /** The online parameters of tensor k, in kernel memory (write the optimizer's result here). */
  onlineView(k: number): Float32Array {
    return this.slice(this.runs("onlineView").online, k, "onlineView");
  }

  /** target ← tau·target + (1 − tau)·online over every tensor, in one kernel call. */
  blend(tau: number): void {
    checkTau("EmaBuffers.blend", tau);
    const { target, online } = this.runs("blend");
    raw().ema_blend(target.ptr, online.ptr, target.ptr, target.length, tau);
  }

  /** Returns both runs to the kernel heap; the object is unusable afterwards. */
  free(): void {
    if (this.target && this.online && kernels().heap === this.heap) {
      this.target.free();
      this.online.free();
    }
    this.target = null;
    this.online = null;
  }
}
