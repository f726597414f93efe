// Augmentation policies: the paper's asymmetric pair, byol-pytorch's defaults, overrides merged
// onto a preset, and the checks and defaults that turn a policy into what the kernels read.
import type { KernelViewPolicy } from "../../bindings/augment";

/**
 * How one view is augmented. Every field of {@link KernelViewPolicy}, except that the blur kernel
 * and the normalization may be `'auto'`: kernel ≈ 10% of the image side it is applied to (odd, as
 * the paper's 23 px at 224), normalization ImageNet's statistics for 3 channels and
 * Fashion-MNIST's (mean 0.2860, std 0.3530) for 1 channel.
 */
export interface ViewPolicy extends Omit<KernelViewPolicy, "blur" | "normalize"> {
  blur: { p: number; sigma: readonly [number, number]; kernelSize: number | "auto" } | null;
  normalize: { mean: readonly number[]; std: readonly number[] } | "auto" | null;
}

/** The two views' policies (BYOL's views may be augmented differently). */
export interface PolicyPair {
  view1: ViewPolicy;
  view2: ViewPolicy;
}

/** Changes to a {@link ViewPolicy}: object fields merge shallowly, `null` disables a step. */
export type ViewOverrides = {
  [K in keyof ViewPolicy]?: ViewPolicy[K] extends infer V ? (V extends object ? Partial<V> | null : V) : never;
};

/**
 * Overrides for a preset: top-level fields apply to both views, `view1` / `view2` to one.
 * `cropScale` is shorthand for `crop: { scale }` (small images often want `[0.2, 1]`).
 */
export interface PolicyOverrides extends ViewOverrides {
  cropScale?: readonly [number, number];
  view1?: ViewOverrides;
  view2?: ViewOverrides;
}

/** ImageNet's per-channel statistics (torchvision's). */
export const IMAGENET_STATS = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] } as const;

/** Fashion-MNIST's pixel statistics over the training set, on the [0, 1] scale. */
export const FASHION_MNIST_STATS = { mean: [0.286], std: [0.353] } as const;

/**
 * torchvision's ColorJitter(brightness, contrast, saturation, hue) wrapped in RandomApply(p):
 * factors uniform in [max(0, 1 − s), 1 + s], hue shift in [−h, h], ops in a random order; a
 * strength of 0 disables its op.
 */
export function colorJitter(brightness: number, contrast: number, saturation: number, hue: number, p: number): NonNullable<ViewPolicy["jitter"]> {
  const around1 = (s: number) => (s > 0 ? ([Math.max(0, 1 - s), 1 + s] as const) : null);
  return {
    p,
    brightness: around1(brightness),
    contrast: around1(contrast),
    saturation: around1(saturation),
    hue: hue > 0 ? [-hue, hue] : null,
    randomOrder: true,
  };
}

function paperView(blurP: number, solarizeP: number): ViewPolicy {
  return {
    crop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
    flip: 0.5,
    jitter: colorJitter(0.4, 0.4, 0.2, 0.1, 0.8),
    grayscale: 0.2,
    blur: { p: blurP, sigma: [0.1, 2], kernelSize: "auto" },
    solarize: { p: solarizeP, threshold: 0.5 },
    normalize: "auto",
    order: "crop-first",
  };
}

function mergeView(base: ViewPolicy, over: ViewOverrides | undefined): ViewPolicy {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === undefined) continue;
    const b = (base as unknown as Record<string, unknown>)[k];
    const isObject = (x: unknown) => typeof x === "object" && x !== null && !Array.isArray(x);
    out[k] = isObject(v) && isObject(b) ? { ...(b as object), ...(v as object) } : v;
  }
  return out as unknown as ViewPolicy;
}

/** Applies {@link PolicyOverrides} to a pair of views. */
function mergePolicy(pair: PolicyPair, overrides: PolicyOverrides = {}): PolicyPair {
  const { view1, view2, cropScale, ...both } = overrides;
  const shared: ViewOverrides = cropScale ? { ...both, crop: { ...(both.crop ?? {}), scale: cropScale } } : both;
  return {
    view1: mergeView(mergeView(pair.view1, shared), view1),
    view2: mergeView(mergeView(pair.view2, shared), view2),
  };
}

/**
 * The BYOL paper's asymmetric pair (Grill et al. 2020, table 6): random resized crop (area 0.08–1,
 * aspect 3/4–4/3 log-uniform), flip 0.5, colour jitter p 0.8 with (0.4, 0.4, 0.2, 0.1) in random
 * order, grayscale 0.2, gaussian blur σ ∈ [0.1, 2] with kernel ≈ 10% of the side (p 1.0 on view 1,
 * 0.1 on view 2), solarize (p 0 on view 1, 0.2 on view 2), then normalization. Crop and flip come
 * first, so colour and blur run at the output size.
 */
export function byolPaper(overrides?: PolicyOverrides): PolicyPair {
  return mergePolicy({ view1: paperView(1.0, 0), view2: paperView(0.1, 0.2) }, overrides);
}

/**
 * lucidrains' byol-pytorch default augmentation, the same for both views: ColorJitter(0.8, 0.8, 0.8,
 * 0.2) with p 0.3, grayscale 0.2, flip 0.5, GaussianBlur 3×3 σ ∈ [1, 2] with p 0.2, then
 * RandomResizedCrop (0.08–1, 3/4–4/3) and ImageNet normalization (`'auto'`: ImageNet's statistics
 * on 3 channels as there, the dataset's on 1 channel). Colour and blur run before the crop, at the
 * input size, as there. (Parameters are drawn per sample here; byol-pytorch draws one set per
 * batch.)
 */
export function byolPytorch(overrides?: PolicyOverrides): PolicyPair {
  const view: ViewPolicy = {
    crop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
    flip: 0.5,
    jitter: colorJitter(0.8, 0.8, 0.8, 0.2, 0.3),
    grayscale: 0.2,
    blur: { p: 0.2, sigma: [1, 2], kernelSize: 3 },
    solarize: { p: 0, threshold: 0.5 },
    normalize: "auto",
    order: "crop-last",
  };
  return mergePolicy({ view1: view, view2: view }, overrides);
}

/** Sizes a policy is resolved against. */
export interface PolicySizes {
  channels: number;
  inHeight: number;
  inWidth: number;
  outHeight: number;
  outWidth: number;
}

function checkP(where: string, name: string, p: unknown): void {
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw new RangeError(`${where}: ${name} must be a probability in [0, 1], got ${p}`);
}

function checkRange(where: string, name: string, r: unknown, min: number, max: number, strictMin = false): void {
  const ok = Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === "number" && Number.isFinite(v)) && r[0] <= r[1] &&
    (strictMin ? r[0] > min : r[0] >= min) && r[1] <= max;
  if (!ok) throw new RangeError(`${where}: ${name} must be [lo, hi] with ${min} ${strictMin ? "<" : "≤"} lo ≤ hi ≤ ${max}, got ${JSON.stringify(r)}`);
}

/** The odd kernel side ≈ 10% of `side` (the paper: 23 at 224). */
export function autoKernelSize(side: number): number {
  const k = Math.floor(0.1 * side);
  return k % 2 === 0 ? k + 1 : k;
}

/**
 * Checks a policy and fills its `'auto'` fields for the given sizes; `where` names the view in
 * errors.
 */
export function resolveViewPolicy(where: string, p: ViewPolicy, s: PolicySizes): KernelViewPolicy {
  if (typeof p !== "object" || p === null) throw new TypeError(`${where}: policy must be an object, got ${p}`);
  if (p.order !== "crop-first" && p.order !== "crop-last") throw new RangeError(`${where}: order must be 'crop-first' or 'crop-last', got ${JSON.stringify(p.order)}`);
  if (p.crop) {
    checkRange(where, "crop.scale", p.crop.scale, 0, Infinity, true);
    checkRange(where, "crop.ratio", p.crop.ratio, 0, Infinity, true);
  }
  checkP(where, "flip", p.flip);
  if (p.jitter) {
    checkP(where, "jitter.p", p.jitter.p);
    for (const k of ["brightness", "contrast", "saturation"] as const) if (p.jitter[k]) checkRange(where, `jitter.${k}`, p.jitter[k], 0, Infinity);
    if (p.jitter.hue) checkRange(where, "jitter.hue", p.jitter.hue, -0.5, 0.5);
  }
  checkP(where, "grayscale", p.grayscale);
  let blur: KernelViewPolicy["blur"] = null;
  if (p.blur) {
    checkP(where, "blur.p", p.blur.p);
    checkRange(where, "blur.sigma", p.blur.sigma, 0, Infinity, true);
    const side = p.order === "crop-first" ? Math.min(s.outHeight, s.outWidth) : Math.min(s.inHeight, s.inWidth);
    const k = p.blur.kernelSize === "auto" ? autoKernelSize(side) : p.blur.kernelSize;
    if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new RangeError(`${where}: blur.kernelSize must be an odd integer ≥ 1 or 'auto', got ${p.blur.kernelSize}`);
    blur = { p: p.blur.p, sigma: p.blur.sigma, kernelSize: k };
  }
  if (p.solarize) {
    checkP(where, "solarize.p", p.solarize.p);
    if (!Number.isFinite(p.solarize.threshold)) throw new RangeError(`${where}: solarize.threshold must be finite, got ${p.solarize.threshold}`);
  }
  let normalize: KernelViewPolicy["normalize"] = null;
  if (p.normalize === "auto") normalize = s.channels === 3 ? IMAGENET_STATS : FASHION_MNIST_STATS;
  else if (p.normalize) {
    const { mean, std } = p.normalize;
    if (mean?.length !== s.channels || std?.length !== s.channels) {
      throw new RangeError(`${where}: normalize needs ${s.channels} mean and std values (one per channel), got mean ${JSON.stringify(mean)}, std ${JSON.stringify(std)}`);
    }
    if (!mean.every(Number.isFinite) || !std.every((v) => Number.isFinite(v) && v > 0)) {
      throw new RangeError(`${where}: normalize mean must be finite and std > 0, got mean ${JSON.stringify(mean)}, std ${JSON.stringify(std)}`);
    }
    normalize = p.normalize;
  }
  return { ...p, blur, normalize };
}
