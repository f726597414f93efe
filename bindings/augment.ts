// Typed wrappers over assembly/augment*.ts: a dataset kept in kernel memory, per-sample parameter
// draws, and the fused view pipeline, through staging buffers reused across calls.
import * as L from "../assembly/augment_layout";
import { kernels } from "./loader";
import type { Heap } from "./heap";

interface AugmentExports {
  augment_draw(policy: number, params: number, n: number, inH: number, inW: number, k0: number, k1: number, step: number, offset: number, view: number): void;
  augment_apply(
    images: number, isU8: number, inH: number, inW: number, c: number, indices: number, n: number,
    outH: number, outW: number, policy: number, params: number, maxKernel: number, out: number, scratch: number,
  ): void;
  augment_scratch_bytes(inH: number, inW: number, c: number, outH: number, outW: number, maxKernel: number): number;
}

const raw = () => kernels().exports as unknown as AugmentExports;

/** Floats per sample in a parameter buffer. */
export const PARAM_SLOTS = L.PARAM_SLOTS;

/** Shape of an NHWC image batch. */
export interface ImageShape {
  /** Number of images. */
  n: number;
  height: number;
  width: number;
  /** 1 (grey) or 3 (RGB). */
  channels: number;
}

/** The four colour-jitter ops, numbered as torchvision's ColorJitter (`fn_idx`). */
export type JitterOp = "brightness" | "contrast" | "saturation" | "hue";
const JITTER_OPS: readonly JitterOp[] = ["brightness", "contrast", "saturation", "hue"];

/** A view policy with every value explicit, as the kernels consume it. */
export interface KernelViewPolicy {
  /** Random resized crop (area fraction `scale`, aspect w/h `ratio`, log-uniform); null: resize the whole image. */
  crop: { scale: readonly [number, number]; ratio: readonly [number, number] } | null;
  /** Probability of a horizontal flip. */
  flip: number;
  /** Colour jitter applied with probability p; null ranges disable an op. */
  jitter: {
    p: number;
    brightness: readonly [number, number] | null;
    contrast: readonly [number, number] | null;
    saturation: readonly [number, number] | null;
    hue: readonly [number, number] | null;
    /** Random order per sample (torchvision) or brightness, contrast, saturation, hue. */
    randomOrder: boolean;
  } | null;
  /** Probability of grayscale (3 channels only). */
  grayscale: number;
  /** Gaussian blur with probability p, σ uniform in `sigma`, odd `kernelSize`. */
  blur: { p: number; sigma: readonly [number, number]; kernelSize: number } | null;
  /** Solarize (x ≥ threshold → 1 − x) with probability p. */
  solarize: { p: number; threshold: number } | null;
  /** Per-channel (x − mean) / std after everything else; null: none. */
  normalize: { mean: readonly number[]; std: readonly number[] } | null;
  /** `'crop-first'`: crop and flip, then colour and blur (the paper); `'crop-last'`: the reverse (byol-pytorch). */
  order: "crop-first" | "crop-last";
}

/** One sample's augmentation parameters (read back from, or given to, the kernels). */
export interface SampleParams {
  /** Crop box in input pixels. */
  crop: { top: number; left: number; height: number; width: number };
  /** Crop attempts used: 1–10, 11 for torchvision's centre fallback, 0 when the policy has no crop. */
  cropTries: number;
  flip: boolean;
  /** Jitter factors and the ops applied, in order; null when jitter was skipped. */
  jitter: { brightness: number; contrast: number; saturation: number; hue: number; order: JitterOp[] } | null;
  grayscale: boolean;
  /** Blur σ and kernel side; null when not blurred. */
  blur: { sigma: number; kernelSize: number } | null;
  solarize: boolean;
}

/** Packs a policy into the kernels' POLICY_SLOTS floats. */
export function encodePolicy(p: KernelViewPolicy): Float32Array {
  const b = new Float32Array(L.POLICY_SLOTS);
  if (p.crop) {
    b[L.POL_CROP] = 1;
    [b[L.POL_SCALE_LO], b[L.POL_SCALE_HI]] = p.crop.scale;
    [b[L.POL_RATIO_LO], b[L.POL_RATIO_HI]] = p.crop.ratio;
    b[L.POL_LOG_RATIO_LO] = Math.log(p.crop.ratio[0]);
    b[L.POL_LOG_RATIO_HI] = Math.log(p.crop.ratio[1]);
  }
  b[L.POL_FLIP_P] = p.flip;
  if (p.jitter) {
    b[L.POL_JITTER_P] = p.jitter.p;
    let mask = 0;
    JITTER_OPS.forEach((op, k) => {
      const range = p.jitter![op];
      if (!range) return;
      mask |= 1 << k;
      [b[L.POL_BRIGHTNESS_LO + 2 * k], b[L.POL_BRIGHTNESS_LO + 2 * k + 1]] = range;
    });
    b[L.POL_JITTER_MASK] = mask;
    b[L.POL_JITTER_RANDOM_ORDER] = p.jitter.randomOrder ? 1 : 0;
  }
  b[L.POL_GRAY_P] = p.grayscale;
  if (p.blur) {
    b[L.POL_BLUR_P] = p.blur.p;
    [b[L.POL_SIGMA_LO], b[L.POL_SIGMA_HI]] = p.blur.sigma;
    b[L.POL_BLUR_KERNEL] = p.blur.kernelSize;
  }
  b[L.POL_SOLARIZE_P] = p.solarize?.p ?? 0;
  b[L.POL_SOLARIZE_THRESHOLD] = p.solarize?.threshold ?? 0.5;
  if (p.normalize) {
    b[L.POL_NORMALIZE] = 1;
    p.normalize.mean.forEach((m, i) => (b[L.POL_MEAN + i] = m));
    p.normalize.std.forEach((s, i) => (b[L.POL_STD + i] = s));
  }
  b[L.POL_CROP_LAST] = p.order === "crop-last" ? 1 : 0;
  return b;
}

/** Unpacks n samples of PARAM_SLOTS floats. */
export function decodeParams(buf: Float32Array, n: number): SampleParams[] {
  const out: SampleParams[] = [];
  for (let s = 0; s < n; s++) {
    const p = buf.subarray(s * L.PARAM_SLOTS, (s + 1) * L.PARAM_SLOTS);
    const mask = p[L.PAR_JITTER];
    const order: JitterOp[] = [];
    for (let k = 0; k < 4; k++) {
      const op = (p[L.PAR_ORDER] >> (2 * k)) & 3;
      if (mask & (1 << op)) order.push(JITTER_OPS[op]);
    }
    out.push({
      crop: { top: p[L.PAR_TOP], left: p[L.PAR_LEFT], height: p[L.PAR_HEIGHT], width: p[L.PAR_WIDTH] },
      cropTries: p[L.PAR_CROP_TRIES],
      flip: p[L.PAR_FLIP] !== 0,
      jitter: mask === 0 ? null : {
        brightness: p[L.PAR_BRIGHTNESS], contrast: p[L.PAR_CONTRAST], saturation: p[L.PAR_SATURATION], hue: p[L.PAR_HUE], order,
      },
      grayscale: p[L.PAR_GRAY] !== 0,
      blur: p[L.PAR_SIGMA] > 0 ? { sigma: p[L.PAR_SIGMA], kernelSize: p[L.PAR_KERNEL] } : null,
      solarize: p[L.PAR_SOLARIZE] !== 0,
    });
  }
  return out;
}

/** Packs parameters for {@link AugmentEngine.apply}, checking each against the image size. */
export function encodeParams(params: readonly SampleParams[], height: number, width: number): Float32Array {
  const buf = new Float32Array(params.length * L.PARAM_SLOTS);
  params.forEach((q, s) => {
    const where = `params[${s}]`;
    const { top, left, height: h, width: w } = q.crop;
    if (![top, left, h, w].every(Number.isInteger) || top < 0 || left < 0 || h < 1 || w < 1 || top + h > height || left + w > width) {
      throw new RangeError(`${where}: crop box (top ${top}, left ${left}, height ${h}, width ${w}) must be whole pixels inside the ${height}×${width} image`);
    }
    if (q.blur && (!(q.blur.sigma > 0) || !Number.isInteger(q.blur.kernelSize) || q.blur.kernelSize < 1 || q.blur.kernelSize % 2 === 0)) {
      throw new RangeError(`${where}: blur needs σ > 0 and an odd kernel size ≥ 1, got σ ${q.blur.sigma}, kernel ${q.blur.kernelSize}`);
    }
    const p = buf.subarray(s * L.PARAM_SLOTS, (s + 1) * L.PARAM_SLOTS);
    [p[L.PAR_TOP], p[L.PAR_LEFT], p[L.PAR_HEIGHT], p[L.PAR_WIDTH]] = [top, left, h, w];
    p[L.PAR_CROP_TRIES] = q.cropTries;
    p[L.PAR_FLIP] = q.flip ? 1 : 0;
    p[L.PAR_BRIGHTNESS] = 1;
    p[L.PAR_CONTRAST] = 1;
    p[L.PAR_SATURATION] = 1;
    if (q.jitter) {
      const order = q.jitter.order.map((op) => JITTER_OPS.indexOf(op));
      if (order.some((k) => k < 0) || new Set(order).size !== order.length) {
        throw new RangeError(`${where}: jitter order must list distinct ops of ${JITTER_OPS.join(", ")}, got ${JSON.stringify(q.jitter.order)}`);
      }
      const code = [...order, ...[0, 1, 2, 3].filter((k) => !order.includes(k))];
      p[L.PAR_JITTER] = order.reduce((m, k) => m | (1 << k), 0);
      p[L.PAR_ORDER] = code.reduce((c, k, i) => c | (k << (2 * i)), 0);
      JITTER_OPS.forEach((op, k) => (p[L.PAR_BRIGHTNESS + k] = q.jitter![op]));
    }
    p[L.PAR_GRAY] = q.grayscale ? 1 : 0;
    p[L.PAR_SIGMA] = q.blur?.sigma ?? 0;
    p[L.PAR_KERNEL] = q.blur?.kernelSize ?? 0;
    p[L.PAR_SOLARIZE] = q.solarize ? 1 : 0;
  });
  return buf;
}

/**
 * Checks an NHWC batch against its stated shape and (unless `pixels` is false) rejects non-finite
 * floats; `where` names the caller in errors.
 */
export function checkImages(where: string, data: Uint8Array | Float32Array, shape: ImageShape, pixels = true): void {
  if (!(data instanceof Uint8Array) && !(data instanceof Float32Array)) {
    throw new TypeError(`${where}: images must be a Uint8Array (0–255) or a Float32Array (0–1), got ${Object.prototype.toString.call(data)}`);
  }
  const { n, height, width, channels } = shape;
  for (const [k, v] of Object.entries({ n, height, width })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`${where}: ${k} must be an integer ≥ 1, got ${v} (zero-size images are not augmentable)`);
  }
  if (channels !== 1 && channels !== 3) throw new RangeError(`${where}: channels must be 1 or 3, got ${channels}`);
  const want = n * height * width * channels;
  if (data.length !== want) {
    throw new RangeError(`${where}: buffer holds ${data.length} values but shape [${n}, ${height}, ${width}, ${channels}] (NHWC) needs ${want}`);
  }
  if (pixels && data instanceof Float32Array) {
    const i = data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) {
      const px = Math.floor(i / channels);
      throw new RangeError(
        `${where}: image ${Math.floor(px / (height * width))} has ${data[i]} at row ${Math.floor(px / width) % height}, column ${px % width}, channel ${i % channels}; non-finite pixels (NaN, ±Infinity) are rejected`,
      );
    }
  }
}

/** Splits a seed (integer in [0, 2^53)) into the generator's two 32-bit key words. */
function seedKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`augment: seed must be an integer in [0, 2^53), got ${seed}`);
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

function checkU32(where: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`${where}: ${name} must be an integer in [0, 2^32), got ${v}`);
}

/** Where one view of a batch is drawn: the generator's counters besides the draw number. */
export interface DrawCounter {
  seed: number;
  step: number;
  /** Position of the first sample in the step's batch (so a split batch draws the same). */
  offset: number;
  /** 0 or 1. */
  view: number;
}

/**
 * A grow-only run of kernel memory owned by one engine (unlike a shared Staging it can be freed).
 * When the kernels are re-initialised the old run went with the old memory and is forgotten.
 */
class Region {
  private ptr = 0;
  private size = 0;
  private heap: Heap | null = null;

  /** Pointer to at least `bytes` bytes; contents are undefined after growth. */
  ensure(bytes: number): number {
    const heap = kernels().heap;
    if (heap !== this.heap) {
      this.ptr = 0;
      this.heap = heap;
    }
    if (this.ptr === 0 || bytes > this.size) {
      if (this.ptr !== 0) heap.free(this.ptr);
      this.size = Math.max(bytes, 16);
      this.ptr = heap.alloc(this.size);
    }
    return this.ptr;
  }

  /** Returns the run to the heap. */
  free(): void {
    if (this.ptr !== 0 && this.heap === kernels().heap) this.heap.free(this.ptr);
    this.ptr = 0;
  }
}

/**
 * The augmentation kernels over one dataset held in kernel memory. `setImages` uploads once;
 * `draw` and `apply` then work on batches of indices into it, reusing their buffers. Outputs are
 * copied into caller arrays, so nothing returned points into kernel memory. `dispose` frees it all.
 */
export class AugmentEngine {
  private readonly images = new Region();
  private readonly params = new Region();
  private readonly policy = new Region();
  private readonly indices = new Region();
  private readonly out = new Region();
  private readonly scratch = new Region();
  private source: Uint8Array | Float32Array | null = null;
  private heap: Heap | null = null; // the heap the dataset was uploaded to
  private dims: ImageShape | null = null;

  /** Shape of the uploaded dataset (null before {@link setImages}). */
  get shape(): ImageShape | null {
    return this.dims;
  }

  /** Validates and uploads an NHWC dataset (u8 0–255 or f32 0–1; NaN and ±Infinity rejected). */
  setImages(data: Uint8Array | Float32Array, shape: ImageShape): void {
    checkImages("setImages", data, shape);
    this.source = data;
    this.dims = { ...shape };
    this.upload();
  }

  private upload(): void {
    const data = this.source!;
    const ptr = this.images.ensure(data.byteLength);
    const heap = kernels().heap;
    new Uint8Array(heap.memory.buffer, ptr, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.heap = heap;
  }

  /** Frees the engine's kernel memory; `setImages` makes it usable again. */
  dispose(): void {
    for (const r of [this.images, this.params, this.policy, this.indices, this.out, this.scratch]) r.free();
    this.source = null;
    this.dims = null;
    this.heap = null;
  }

  /** The uploaded images' pointer, re-uploading when the kernels were re-initialised since. */
  private imagesPtr(): number {
    if (!this.source || !this.dims) throw new Error("augment: no images; call setImages first");
    if (kernels().heap !== this.heap) this.upload();
    return this.images.ensure(this.source.byteLength);
  }

  private checkIndices(where: string, indices: ArrayLike<number>): void {
    const n = this.dims!.n;
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i];
      if (!Number.isInteger(v) || v < 0 || v >= n) throw new RangeError(`${where}: indices[${i}] = ${v} is not an image index in [0, ${n})`);
    }
  }

  /** Draws `count` samples' parameters for a view into `target` (count × PARAM_SLOTS floats). */
  draw(policy: Float32Array, count: number, at: DrawCounter, target: Float32Array): void {
    if (!this.dims) throw new Error("augment: no images; call setImages first");
    const [k0, k1] = seedKey(at.seed);
    checkU32("augment", "step", at.step);
    checkU32("augment", "offset", at.offset);
    checkU32("augment", "view", at.view);
    const pol = this.policy.ensure(policy.byteLength);
    const par = this.params.ensure(count * L.PARAM_SLOTS * 4);
    const heap = kernels().heap;
    heap.f32(pol, policy.length).set(policy);
    raw().augment_draw(pol, par, count, this.dims.height, this.dims.width, k0, k1, at.step, at.offset, at.view);
    target.set(kernels().heap.f32(par, count * L.PARAM_SLOTS));
  }

  /**
   * Augments images `indices` with the given parameters (PARAM_SLOTS floats per index) and the
   * view policy's normalize / solarize threshold / order, writing f32 NHWC outH×outW into `target`.
   */
  apply(policy: Float32Array, params: Float32Array, indices: ArrayLike<number>, outH: number, outW: number, target: Float32Array): void {
    const imagesPtr = this.imagesPtr();
    const { height, width, channels } = this.dims!;
    const n = indices.length;
    this.checkIndices("augment", indices);
    let maxKernel = 1;
    for (let s = 0; s < n; s++) {
      if (params[s * L.PARAM_SLOTS + L.PAR_SIGMA] > 0) maxKernel = Math.max(maxKernel, params[s * L.PARAM_SLOTS + L.PAR_KERNEL]);
    }
    const outLen = n * outH * outW * channels;
    if (target.length !== outLen) throw new RangeError(`augment: output buffer holds ${target.length} floats, needs ${outLen}`);
    const pol = this.policy.ensure(policy.byteLength);
    const par = this.params.ensure(Math.max(params.byteLength, 16));
    const idx = this.indices.ensure(n * 4);
    const out = this.out.ensure(outLen * 4);
    const scratch = this.scratch.ensure(raw().augment_scratch_bytes(height, width, channels, outH, outW, maxKernel));
    const heap = kernels().heap; // views only after every ensure(): memory may have grown
    heap.f32(pol, policy.length).set(policy);
    heap.f32(par, params.length).set(params);
    const idxView = new Int32Array(heap.memory.buffer, idx, n);
    for (let i = 0; i < n; i++) idxView[i] = indices[i];
    raw().augment_apply(
      imagesPtr, this.source instanceof Uint8Array ? 1 : 0, height, width, channels, idx, n,
      outH, outW, pol, par, maxKernel, out, scratch,
    );
    target.set(heap.f32(out, outLen));
  }
}
