// The BYOL view pipeline over a batch, each sample with its own drawn parameters: resized crop and
// flip, colour jitter in the sample's order, grayscale, gaussian blur, solarize, normalize.
// Images are NHWC (u8 or f32) in, f32 NHWC out; in between each sample lives in planar scratch.
import {
  JITTER_BRIGHTNESS, JITTER_CONTRAST, JITTER_SATURATION, PARAM_SLOTS, PAR_BRIGHTNESS, PAR_FLIP, PAR_GRAY,
  PAR_HEIGHT, PAR_JITTER, PAR_KERNEL, PAR_LEFT, PAR_ORDER, PAR_SIGMA, PAR_SOLARIZE, PAR_TOP, PAR_WIDTH,
  POL_CROP_LAST, POL_MEAN, POL_NORMALIZE, POL_SOLARIZE_THRESHOLD, POL_STD,
} from "./augment_layout";
import { blurPlanes } from "./augment_blur";
import { blendConstant, blendGrey, greyMean, hueShift } from "./augment_colour";
import { loadPlanar, resizedCrop } from "./augment_geometry";

export { augment_draw } from "./augment_params";
export { rng_fill } from "./rng";

// Byte offsets inside the caller's scratch, set by layout().
let S_WORK: usize = 0; // c planes at the output size (the input planes, or the box's, are at 0)
let S_TMP: usize = 0; // blur's intermediate plane, or the crop's resampled rows
let S_PAD: usize = 0; // one reflect-padded row
let S_WTS: usize = 0; // blur weights, then their k source pointers
let S_XT: usize = 0; // crop column table
let S_YT: usize = 0; // crop row table
let S_LUT: usize = 0; // u8 → f32 (v / 255)
let S_END: usize = 0;

// @ts-ignore: decorator
@inline function floats(n: i32): usize {
  return (<usize>(n + 3) & ~(<usize>3)) << 2; // whole v128s keep every region 16-byte aligned
}

function layout(inH: i32, inW: i32, c: i32, outH: i32, outW: i32, maxKernel: i32): void {
  S_WORK = floats(c * inH * inW);
  S_TMP = S_WORK + floats(c * outH * outW);
  S_PAD = S_TMP + floats(max(max(inH * inW, outH * outW), inH * outW));
  S_WTS = S_PAD + floats(max(inW, outW) + maxKernel);
  S_XT = S_WTS + floats(2 * maxKernel);
  S_YT = S_XT + (<usize>outW << 4);
  S_LUT = S_YT + (<usize>outH << 4);
  S_END = S_LUT + 1024;
}

/** Bytes of scratch that augment_apply needs for these sizes and largest blur kernel. */
export function augment_scratch_bytes(inH: i32, inW: i32, c: i32, outH: i32, outW: i32, maxKernel: i32): i32 {
  layout(inH, inW, c, outH, outW, maxKernel);
  return <i32>S_END;
}

// @ts-ignore: decorator
@inline function slot(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/** Jitter (in the sample's order), grayscale and blur on c planes of h×w, in place. */
function colourAndBlur(planes: usize, h: i32, w: i32, c: i32, p: usize, scratch: usize): void {
  const hw = h * w;
  const mask = <i32>slot(p, PAR_JITTER);
  const code = <i32>slot(p, PAR_ORDER);
  for (let k = 0; k < 4 && mask != 0; k++) {
    const op = (code >> (2 * k)) & 3;
    if ((mask & (1 << op)) == 0) continue;
    const f = slot(p, PAR_BRIGHTNESS + op);
    if (op == JITTER_BRIGHTNESS) blendConstant(planes, c * hw, f, 0);
    else if (op == JITTER_CONTRAST) blendConstant(planes, c * hw, f, greyMean(planes, hw, c));
    else if (c == 3 && op == JITTER_SATURATION) blendGrey(planes, hw, f, false);
    else if (c == 3) hueShift(planes, hw, f); // saturation and hue are identities on one channel
  }
  if (c == 3 && slot(p, PAR_GRAY) != 0) blendGrey(planes, hw, 1, true);
  const sigma = slot(p, PAR_SIGMA);
  if (sigma > 0) {
    blurPlanes(planes, h, w, c, <i32>slot(p, PAR_KERNEL), <f64>sigma, scratch + S_TMP, scratch + S_PAD, scratch + S_WTS);
  }
}

// @ts-ignore: decorator
@inline function finish4(v: v128, thr: v128, mean: v128, std: v128): v128 {
  v = v128.bitselect(f32x4.sub(f32x4.splat(1), v), v, f32x4.ge(v, thr));
  return f32x4.div(f32x4.sub(v, mean), std);
}

// @ts-ignore: decorator
@inline function finish1(v: f32, thr: f32, mean: f32, std: f32): f32 {
  return ((v >= thr ? 1 - v : v) - mean) / std;
}

/**
 * Solarize (x ≥ thr → 1 − x; thr = +∞ disables) and normalize ((x − mean) / std per channel, or
 * identity) the c planes of hw floats, interleaving them into NHWC at out.
 */
function finish(planes: usize, hw: i32, c: i32, out: usize, thr: f32, policy: usize): void {
  const norm = slot(policy, POL_NORMALIZE) != 0;
  const m0: f32 = norm ? slot(policy, POL_MEAN) : 0;
  const m1: f32 = norm ? slot(policy, POL_MEAN + 1) : 0;
  const m2: f32 = norm ? slot(policy, POL_MEAN + 2) : 0;
  const s0: f32 = norm ? slot(policy, POL_STD) : 1;
  const s1: f32 = norm ? slot(policy, POL_STD + 1) : 1;
  const s2: f32 = norm ? slot(policy, POL_STD + 2) : 1;
  const G = planes + (<usize>hw << 2);
  const B = G + (<usize>hw << 2);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const t = f32x4.splat(thr);
    if (c == 1) {
      const m = f32x4.splat(m0);
      const s = f32x4.splat(s0);
      for (; i + 4 <= hw; i += 4) {
        const o = <usize>i << 2;
        v128.store(out + o, finish4(v128.load(planes + o), t, m, s));
      }
    } else {
      for (; i + 4 <= hw; i += 4) {
        const o = <usize>i << 2;
        const r = finish4(v128.load(planes + o), t, f32x4.splat(m0), f32x4.splat(s0));
        const g = finish4(v128.load(G + o), t, f32x4.splat(m1), f32x4.splat(s1));
        const b = finish4(v128.load(B + o), t, f32x4.splat(m2), f32x4.splat(s2));
        // 4 pixels × RGB → r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3
        const rg01 = v128.shuffle<f32>(r, g, 0, 4, 1, 5);
        const rg23 = v128.shuffle<f32>(r, g, 2, 6, 3, 7);
        const gb1 = v128.shuffle<f32>(g, b, 1, 5, 1, 5);
        const d = out + o * 3;
        v128.store(d, v128.shuffle<f32>(rg01, b, 0, 1, 4, 2));
        v128.store(d, v128.shuffle<f32>(gb1, rg23, 0, 1, 4, 5), 16);
        v128.store(d, v128.shuffle<f32>(b, rg23, 2, 6, 7, 3), 32);
      }
    }
  }
  for (; i < hw; i++) {
    const o = <usize>i << 2;
    if (c == 1) {
      store<f32>(out + o, finish1(load<f32>(planes + o), thr, m0, s0));
    } else {
      const d = out + o * 3;
      store<f32>(d, finish1(load<f32>(planes + o), thr, m0, s0));
      store<f32>(d, finish1(load<f32>(G + o), thr, m1, s1), 4);
      store<f32>(d, finish1(load<f32>(B + o), thr, m2, s2), 8);
    }
  }
}

/**
 * Augments n images: sample s is image indices[s] (i32) of the NHWC batch at `images` (u8 when
 * isU8, else f32 in [0, 1]; inH×inW×c, c = 1 or 3), with PARAM_SLOTS floats of parameters at
 * params[s] and the view's policy (normalize, solarize threshold, op order); result s is written
 * as f32 NHWC outH×outW×c at out. Scratch: augment_scratch_bytes(…, maxKernel) bytes, where
 * maxKernel bounds every sample's blur kernel.
 */
export function augment_apply(
  images: usize, isU8: i32, inH: i32, inW: i32, c: i32, indices: usize, n: i32,
  outH: i32, outW: i32, policy: usize, params: usize, maxKernel: i32, out: usize, scratch: usize,
): void {
  layout(inH, inW, c, outH, outW, maxKernel);
  const outHW = outH * outW;
  const imageBytes = <usize>(inH * inW * c) << (isU8 != 0 ? 0 : 2);
  const cropLast = slot(policy, POL_CROP_LAST) != 0;
  const threshold = slot(policy, POL_SOLARIZE_THRESHOLD);
  const work = scratch + S_WORK;
  const lut = scratch + S_LUT;
  for (let v = 0; v < 256; v++) store<f32>(lut + (<usize>v << 2), <f32>v / 255);
  for (let s = 0; s < n; s++) {
    const p = params + (<usize>(s * PARAM_SLOTS) << 2);
    const src = images + <usize>load<i32>(indices + (<usize>s << 2)) * imageBytes;
    const top = <i32>slot(p, PAR_TOP);
    const left = <i32>slot(p, PAR_LEFT);
    const bh = <i32>slot(p, PAR_HEIGHT);
    const bw = <i32>slot(p, PAR_WIDTH);
    const flip = slot(p, PAR_FLIP) != 0;
    if (cropLast) {
      loadPlanar(src, isU8 != 0, inW, c, 0, 0, inH, inW, scratch, lut);
      colourAndBlur(scratch, inH, inW, c, p, scratch);
      resizedCrop(scratch, inH, inW, c, top, left, bh, bw, outH, outW, flip, work, scratch + S_TMP, scratch + S_XT, scratch + S_YT);
    } else {
      // only the box is loaded: it is then the whole (bh×bw) image the crop resamples
      loadPlanar(src, isU8 != 0, inW, c, top, left, bh, bw, scratch, lut);
      resizedCrop(scratch, bh, bw, c, 0, 0, bh, bw, outH, outW, flip, work, scratch + S_TMP, scratch + S_XT, scratch + S_YT);
    }
    if (!cropLast) colourAndBlur(work, outH, outW, c, p, scratch);
    const thr: f32 = slot(p, PAR_SOLARIZE) != 0 ? threshold : Infinity;
    finish(work, outHW, c, out + (<usize>(s * outHW * c) << 2), thr, policy);
  }
}
