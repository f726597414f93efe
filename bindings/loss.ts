// Typed wrappers over assembly/loss.ts: normalized-cosine loss and BYOL's symmetric loss on
// Float32Arrays, value and gradient in one kernel call, through reusable staging.
import { alignUp, Staging } from "./heap";
import { kernels, trackStaging } from "./loader";

interface LossExports {
  cosine_loss(p: number, z: number, batch: number, d: number, rows: number, grad: number): number;
  byol_loss(q1: number, z2: number, q2: number, z1: number, batch: number, d: number, rows: number, grad1: number, grad2: number): number;
}

const raw = () => kernels().exports as unknown as LossExports;
const staging = trackStaging(new Staging(() => kernels().heap));

/** Result of {@link cosineLoss}. */
export interface CosineLossResult {
  /** 2 − 2cos(p_b, z_b) for each row b (length B). */
  perSample: Float32Array;
  /** Mean of `perSample`. */
  mean: number;
  /** Gradient of `mean` w.r.t. p, [B, D] row-major. */
  grad: Float32Array;
}

/** Result of {@link byolLoss}. */
export interface ByolLossResult {
  /** mean_b[(2 − 2cos(q1_b, z2_b)) + (2 − 2cos(q2_b, z1_b))]. */
  loss: number;
  /** The bracket above for each row b (length B). */
  perSample: Float32Array;
  /** Gradient of `loss` w.r.t. q1, [B, D]. */
  gradQ1: Float32Array;
  /** Gradient of `loss` w.r.t. q2, [B, D]. */
  gradQ2: Float32Array;
}


function checkShape(where: string, B: number, D: number, inputs: Record<string, unknown>): void {
  if (!Number.isInteger(B) || B < 1) throw new RangeError(`${where}: B must be an integer ≥ 1, got ${B}`);
  if (!Number.isInteger(D) || D < 1) throw new RangeError(`${where}: D must be an integer ≥ 1, got ${D}`);
  for (const [name, x] of Object.entries(inputs)) {
    if (!(x instanceof Float32Array)) throw new TypeError(`${where}: ${name} must be a Float32Array`);
    if (x.length !== B * D) throw new RangeError(`${where}: ${name} has ${x.length} floats, expected B×D = ${B}×${D} = ${B * D}`);
  }
}

/**
 * Names the first non-finite input. Only called when the kernel's mean is not finite: finite
 * inputs always give a finite mean (the kernel rescales rows whose Σx² overflows), and a NaN or
 * ±Infinity anywhere makes it NaN, so the common path pays no extra scan.
 */
function nonFinite(where: string, inputs: Record<string, Float32Array>, D: number): Error {
  for (const [name, x] of Object.entries(inputs)) {
    const i = x.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return new RangeError(`${where}: ${name}[${Math.floor(i / D)}, ${i % D}] is ${x[i]}; inputs must be finite`);
  }
  return new Error(`${where}: the kernel returned a non-finite loss for finite inputs (please report)`);
}

/** Stages `inputs` and `outputs` (float counts) in kernel memory; returns their pointers in order. */
function stage(inputs: Float32Array[], outputs: number[]): number[] {
  const sizes = [...inputs.map((x) => x.length), ...outputs];
  const base = staging.ensure(sizes.reduce((s, n) => s + alignUp(4 * n), 0));
  const { heap } = kernels();
  const ptrs: number[] = [];
  let at = base;
  sizes.forEach((n, k) => {
    ptrs.push(at);
    if (k < inputs.length) heap.f32(at, n).set(inputs[k]);
    at += alignUp(4 * n);
  });
  return ptrs;
}

const copyOut = (ptr: number, n: number) => kernels().heap.f32(ptr, n).slice();

/**
 * Normalized-cosine loss of predictions `p` against targets `z`, both [B, D] row-major:
 * per row 2 − 2cos(p_b, z_b) with rows normalized as x·rsqrt(max(Σx², 1e-24)), the batch mean,
 * and the gradient of the mean w.r.t. p, from one kernel call.
 */
export function cosineLoss(p: Float32Array, z: Float32Array, B: number, D: number): CosineLossResult {
  const where = "cosineLoss";
  checkShape(where, B, D, { p, z });
  const [pp, zp, rows, grad] = stage([p, z], [B, B * D]);
  const mean = raw().cosine_loss(pp, zp, B, D, rows, grad);
  if (!Number.isFinite(mean)) throw nonFinite(where, { p, z }, D);
  return { perSample: copyOut(rows, B), mean, grad: copyOut(grad, B * D) };
}

/**
 * BYOL's symmetric loss mean_b[(2 − 2cos(q1, z2)) + (2 − 2cos(q2, z1))] with the gradients w.r.t.
 * the online predictions q1 and q2 (z1, z2 are the target's projections: no gradient), all
 * [B, D] row-major, from one kernel call.
 */
export function byolLoss(q1: Float32Array, z2: Float32Array, q2: Float32Array, z1: Float32Array, B: number, D: number): ByolLossResult {
  const where = "byolLoss";
  checkShape(where, B, D, { q1, z2, q2, z1 });
  const [q1p, z2p, q2p, z1p, rows, g1, g2] = stage([q1, z2, q2, z1], [B, B * D, B * D]);
  const loss = raw().byol_loss(q1p, z2p, q2p, z1p, B, D, rows, g1, g2);
  if (!Number.isFinite(loss)) throw nonFinite(where, { q1, z2, q2, z1 }, D);
  return { loss, perSample: copyOut(rows, B), gradQ1: copyOut(g1, B * D), gradQ2: copyOut(g2, B * D) };
}
