// The augmenter the learner calls every step: a dataset uploaded once, two views per batch of
// indices, each sample with its own parameters, deterministic in (seed, step, position, view).
import {
  AugmentEngine, checkImages, decodeParams, encodePolicy, PARAM_SLOTS,
  type ImageShape, type SampleParams,
} from "../../bindings/augment";
import { initKernels, kernelBuild, type KernelBuild } from "../../bindings/loader";
import { byolPaper, resolveViewPolicy, type PolicyPair, type ViewPolicy } from "./policy";

/** A batch handed to a user augmentation function. */
export interface AugmentBatch {
  /** The batch's images, NHWC, same element type as given to `setImages`. */
  images: Uint8Array | Float32Array;
  shape: ImageShape;
  /** Dataset indices of the batch's images. */
  indices: readonly number[];
  step: number;
  seed: number;
}

/**
 * A user's own augmentation: returns both views as f32 NHWC at the augmenter's output size and
 * the input's channel count.
 */
export type AugmentFn = (batch: AugmentBatch) => { view1: Float32Array; view2: Float32Array };

/** Options of {@link createAugmenter}. */
export interface AugmenterOptions {
  /** Both views' policies, or your own function; default {@link byolPaper}(). */
  policy?: PolicyPair | AugmentFn;
  /** Replaces `policy.view1`. */
  view1?: ViewPolicy;
  /** Replaces `policy.view2`. */
  view2?: ViewPolicy;
  /** Output side, or [height, width]; default the input size. */
  outSize?: number | readonly [number, number];
  /** Expected channel count of the images (1 or 3); checked by `setImages` when given. */
  channels?: 1 | 3;
  /** Seed of every augmentation draw (integer in [0, 2^53)); default 0. */
  seed?: number;
  /**
   * Kernel build, as {@link initKernels}; default: the build already loaded (say, one `setBackend`
   * was told to use), else `'auto'`. The augmentation kernels give the same views on every SIMD build.
   */
  build?: "auto" | KernelBuild;
}

/** Options of {@link Augmenter.views}. */
export interface ViewsOptions {
  /** Also return each sample's drawn parameters (crop box, flip, jitter factors and order, σ, …). */
  returnParams?: boolean;
  /** Position of `indices[0]` in the step's batch, when a batch is augmented in parts; default 0. */
  offset?: number;
  /** Return fresh arrays instead of the augmenter's reused ones. */
  copy?: boolean;
  /** Write the views into these arrays (each n × outHeight × outWidth × channels floats). */
  into?: { view1: Float32Array; view2: Float32Array };
}

/** Both views of a batch, f32 NHWC, normalized as the policy says. */
export interface AugmentedViews {
  view1: Float32Array;
  view2: Float32Array;
  /** [n, outHeight, outWidth, channels]. */
  shape: [number, number, number, number];
  /** Present with `returnParams` (not for a user function). */
  params?: { view1: SampleParams[]; view2: SampleParams[] };
}

/**
 * Produces BYOL's two views for batches of a dataset held in kernel memory. Create it with
 * {@link createAugmenter}, give it images once with {@link Augmenter.setImages}, then call
 * {@link Augmenter.views} every step.
 */
export class Augmenter {
  /** @internal the kernel-side dataset and pipeline; tests drive it directly (test/augment-direct.ts). */
  readonly engine = new AugmentEngine();
  private policies: [Float32Array, Float32Array] | null = null;
  private outHW: [number, number] | null = null;
  private buffers: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  private paramBuf = new Float32Array(0);
  private source: Uint8Array | Float32Array | null = null;

  /** @internal use {@link createAugmenter}. */
  constructor(private readonly options: Required<Pick<AugmenterOptions, "seed">> & AugmenterOptions) {}

  /** The seed of every draw. */
  get seed(): number {
    return this.options.seed;
  }

  /** [outHeight, outWidth, channels] of each view's images (after {@link setImages}). */
  get outShape(): [number, number, number] {
    const shape = this.engine.shape;
    if (!shape || !this.outHW) throw new Error("Augmenter: no images; call setImages first");
    return [this.outHW[0], this.outHW[1], shape.channels];
  }

  /**
   * Uploads the dataset: NHWC `images` (Uint8Array 0–255, or Float32Array 0–1 where values
   * outside [0, 1] are clamped by the colour ops as in torchvision) of the given shape (an
   * `ImageSet` works as the shape). Wrong lengths, channels other than 1 or 3, zero-size images
   * and NaN or ±Infinity pixels are rejected with an error naming the problem (NaN is never
   * propagated into the views).
   */
  setImages(images: Uint8Array | Float32Array, shape: ImageShape): void {
    const { channels } = this.options;
    if (channels !== undefined && shape?.channels !== channels) {
      throw new RangeError(`setImages: images have ${shape?.channels} channels but the augmenter was created for ${channels}`);
    }
    checkImages("setImages", images, shape, false); // the engine's upload below scans the pixels
    const out = this.options.outSize ?? [shape.height, shape.width];
    const [oh, ow] = typeof out === "number" ? [out, out] : out;
    if (!Number.isInteger(oh) || !Number.isInteger(ow) || oh < 1 || ow < 1) {
      throw new RangeError(`createAugmenter: outSize must be a positive integer or [height, width], got ${JSON.stringify(out)}`);
    }
    const policy = this.options.policy ?? byolPaper();
    if (typeof policy !== "function") {
      const sizes = { channels: shape.channels, inHeight: shape.height, inWidth: shape.width, outHeight: oh, outWidth: ow };
      const v1 = this.options.view1 ?? policy.view1;
      const v2 = this.options.view2 ?? policy.view2;
      this.policies = [encodePolicy(resolveViewPolicy("view1", v1, sizes)), encodePolicy(resolveViewPolicy("view2", v2, sizes))];
    }
    this.engine.setImages(images, shape);
    this.source = images;
    this.outHW = [oh, ow];
  }

  /**
   * Both views of the images at `indices` for optimizer step `step`. Sample i's parameters depend
   * only on (seed, step, offset + i, view), so the same call gives the same views and a batch
   * split into parts (with `offset`) gives the same as the whole.
   *
   * The returned arrays are reused by the next call unless `copy` or `into` is given: upload them
   * (or copy) before calling again. `tf.tensor(view)` on the cpu and webgl backends keeps a
   * reference rather than copying, so pass `copy: true` or `into` when tensors outlive a step.
   */
  views(indices: ArrayLike<number>, step: number, options: ViewsOptions = {}): AugmentedViews {
    const [oh, ow, c] = this.outShape;
    const n = indices.length;
    const len = n * oh * ow * c;
    const shape: AugmentedViews["shape"] = [n, oh, ow, c];
    const policy = this.options.policy;
    if (typeof policy === "function") return this.userViews(policy, indices, step, len, shape);
    const targets = this.targets(len, options);
    const offset = options.offset ?? 0;
    if (this.paramBuf.length < n * PARAM_SLOTS) this.paramBuf = new Float32Array(n * PARAM_SLOTS);
    const par = this.paramBuf.subarray(0, n * PARAM_SLOTS);
    const params: SampleParams[][] = [];
    for (let v = 0; v < 2; v++) {
      this.engine.draw(this.policies![v], n, { seed: this.seed, step, offset, view: v }, par);
      if (options.returnParams) params.push(decodeParams(par, n));
      this.engine.apply(this.policies![v], par, indices, oh, ow, targets[v]);
    }
    const out: AugmentedViews = { view1: targets[0], view2: targets[1], shape };
    if (options.returnParams) out.params = { view1: params[0], view2: params[1] };
    return out;
  }

  /** Frees the dataset and buffers held in kernel memory; call `setImages` before using it again. */
  dispose(): void {
    this.engine.dispose();
    this.source = null;
    this.outHW = null;
  }

  private targets(len: number, options: ViewsOptions): [Float32Array, Float32Array] {
    if (options.into) {
      for (const k of ["view1", "view2"] as const) {
        const a = options.into[k];
        if (!(a instanceof Float32Array) || a.length !== len) throw new RangeError(`views: into.${k} must be a Float32Array of ${len} floats, got ${a?.length}`);
      }
      return [options.into.view1, options.into.view2];
    }
    if (options.copy) return [new Float32Array(len), new Float32Array(len)];
    if (this.buffers[0].length !== len) this.buffers = [new Float32Array(len), new Float32Array(len)];
    return this.buffers;
  }

  private userViews(fn: AugmentFn, indices: ArrayLike<number>, step: number, len: number, shape: AugmentedViews["shape"]): AugmentedViews {
    const src = this.source!;
    const { n, height, width, channels } = this.engine.shape!;
    const size = height * width * channels;
    const list = Array.from(indices);
    list.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v >= n) throw new RangeError(`views: indices[${i}] = ${v} is not an image index in [0, ${n})`);
    });
    const images = src instanceof Uint8Array ? new Uint8Array(list.length * size) : new Float32Array(list.length * size);
    list.forEach((v, i) => images.set(src.subarray(v * size, (v + 1) * size), i * size));
    const out = fn({ images, shape: { n: list.length, height, width, channels }, indices: list, step, seed: this.seed });
    for (const k of ["view1", "view2"] as const) {
      const a = out?.[k];
      if (!(a instanceof Float32Array) || a.length !== len) {
        throw new RangeError(`views: the augmentation function's ${k} must be a Float32Array of ${len} floats ([${shape.join(", ")}] NHWC), got ${a instanceof Float32Array ? a.length + " floats" : typeof a}`);
      }
    }
    return { view1: out.view1, view2: out.view2, shape };
  }
}

/**
 * Initialises the kernels and returns an {@link Augmenter}:
 * `const aug = await createAugmenter({ policy: byolPaper({ cropScale: [0.2, 1] }), seed: 1 })`,
 * `aug.setImages(u8, { n, height, width, channels })`,
 * `const { view1, view2 } = aug.views(indices, step)`.
 */
export async function createAugmenter(options: AugmenterOptions = {}): Promise<Augmenter> {
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`createAugmenter: seed must be an integer in [0, 2^53), got ${seed}`);
  if (options.channels !== undefined && options.channels !== 1 && options.channels !== 3) {
    throw new RangeError(`createAugmenter: channels must be 1 or 3, got ${options.channels}`);
  }
  // a forced build stays: re-initialising would swap the convolutions' build under a running backend
  await initKernels({ build: options.build ?? kernelBuild() ?? "auto" });
  return new Augmenter({ ...options, seed });
}
