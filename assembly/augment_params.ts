// Draws each sample's augmentation parameters from the policy with the counter-based generator:
// torchvision's RandomResizedCrop (ten tries, then a centre crop), flip, ColorJitter (RandomApply,
// factors, random order), RandomGrayscale, GaussianBlur σ, solarize.
import {
  JITTER_FIXED_ORDER, PARAM_SLOTS, PAR_BRIGHTNESS, PAR_CONTRAST, PAR_CROP_TRIES, PAR_FLIP, PAR_GRAY, PAR_HEIGHT,
  PAR_HUE, PAR_JITTER, PAR_KERNEL, PAR_LEFT, PAR_ORDER, PAR_SATURATION, PAR_SIGMA, PAR_SOLARIZE, PAR_TOP,
  PAR_WIDTH, POL_BLUR_KERNEL, POL_BLUR_P, POL_BRIGHTNESS_LO, POL_CROP, POL_FLIP_P, POL_GRAY_P, POL_JITTER_MASK,
  POL_JITTER_P, POL_JITTER_RANDOM_ORDER, POL_LOG_RATIO_HI, POL_LOG_RATIO_LO, POL_RATIO_HI, POL_RATIO_LO,
  POL_SCALE_HI, POL_SCALE_LO, POL_SIGMA_HI, POL_SIGMA_LO, POL_SOLARIZE_P,
} from "./augment_layout";
import { expNoTable } from "./augment_math";
import { philox, philox0, philox1, philox2, philox3, unit } from "./rng";

// Counter blocks (c0) of each draw, fixed so one parameter's stream never shifts another's.
const BLOCK_FLAGS: u32 = 10; // flip, jitter applied, grayscale, blur applied
const BLOCK_FACTORS: u32 = 11; // brightness, contrast, saturation, hue
const BLOCK_ORDER: u32 = 12; // three Fisher–Yates draws
const BLOCK_BLUR_SOLARIZE: u32 = 13; // blur σ, solarize
const CROP_TRIES = 10;

// @ts-ignore: decorator
@inline function pol(policy: usize, slot: i32): f64 {
  return <f64>load<f32>(policy + (<usize>slot << 2));
}

// @ts-ignore: decorator
@inline function put(p: usize, slot: i32, v: f64): void {
  store<f32>(p + (<usize>slot << 2), <f32>v);
}

/** a + (b − a)·u, as torch's uniform_(a, b). */
// @ts-ignore: decorator
@inline function between(a: f64, b: f64, u: u32): f64 {
  return a + (b - a) * unit(u);
}

function drawCrop(policy: usize, p: usize, inH: i32, inW: i32, id: u32, step: u32, view: u32, k0: u32, k1: u32): void {
  const H = <f64>inH;
  const W = <f64>inW;
  if (pol(policy, POL_CROP) == 0) {
    put(p, PAR_TOP, 0); put(p, PAR_LEFT, 0); put(p, PAR_HEIGHT, H); put(p, PAR_WIDTH, W); put(p, PAR_CROP_TRIES, 0);
    return;
  }
  const area = H * W;
  for (let t = 0; t < CROP_TRIES; t++) {
    philox(<u32>t, id, step, view, k0, k1);
    const target = area * between(pol(policy, POL_SCALE_LO), pol(policy, POL_SCALE_HI), philox0);
    const aspect = expNoTable(between(pol(policy, POL_LOG_RATIO_LO), pol(policy, POL_LOG_RATIO_HI), philox1));
    // Python's round() ties to even, as f64.nearest does
    const w = nearest<f64>(Math.sqrt(target * aspect));
    const h = nearest<f64>(Math.sqrt(target / aspect));
    if (w > 0 && w <= W && h > 0 && h <= H) {
      put(p, PAR_TOP, Math.floor(unit(philox2) * (H - h + 1)));
      put(p, PAR_LEFT, Math.floor(unit(philox3) * (W - w + 1)));
      put(p, PAR_HEIGHT, h); put(p, PAR_WIDTH, w); put(p, PAR_CROP_TRIES, t + 1);
      return;
    }
  }
  // torchvision's fallback: the largest centred box whose aspect is inside the range
  const inRatio = W / H;
  const rLo = pol(policy, POL_RATIO_LO);
  const rHi = pol(policy, POL_RATIO_HI);
  let w = W;
  let h = H;
  if (inRatio < rLo) h = nearest<f64>(w / rLo);
  else if (inRatio > rHi) w = nearest<f64>(h * rHi);
  put(p, PAR_TOP, Math.floor((H - h) / 2)); put(p, PAR_LEFT, Math.floor((W - w) / 2));
  put(p, PAR_HEIGHT, h); put(p, PAR_WIDTH, w); put(p, PAR_CROP_TRIES, CROP_TRIES + 1);
}

function drawJitter(policy: usize, p: usize, applied: bool, id: u32, step: u32, view: u32, k0: u32, k1: u32): void {
  const mask = <i32>pol(policy, POL_JITTER_MASK);
  philox(BLOCK_FACTORS, id, step, view, k0, k1);
  const u0 = philox0, u1 = philox1, u2 = philox2, u3 = philox3;
  const on = applied && mask != 0;
  // disabled ops keep their identity value, so the parameters read back truthfully
  for (let op = 0; op < 4; op++) {
    const u = op == 0 ? u0 : op == 1 ? u1 : op == 2 ? u2 : u3;
    const lo = pol(policy, POL_BRIGHTNESS_LO + 2 * op);
    const hi = pol(policy, POL_BRIGHTNESS_LO + 2 * op + 1);
    const identity: f64 = op == 3 ? 0 : 1;
    put(p, PAR_BRIGHTNESS + op, on && (mask & (1 << op)) != 0 ? between(lo, hi, u) : identity);
  }
  put(p, PAR_JITTER, on ? mask : 0);
  philox(BLOCK_ORDER, id, step, view, k0, k1);
  let code = JITTER_FIXED_ORDER;
  if (pol(policy, POL_JITTER_RANDOM_ORDER) != 0) {
    // Fisher–Yates on the four op numbers packed two bits each
    for (let i = 3; i >= 1; i--) {
      const u = i == 3 ? philox0 : i == 2 ? philox1 : philox2;
      const j = <i32>Math.floor(unit(u) * <f64>(i + 1));
      const a = (code >> (2 * i)) & 3;
      const b = (code >> (2 * j)) & 3;
      code &= ~((3 << (2 * i)) | (3 << (2 * j)));
      code |= (b << (2 * i)) | (a << (2 * j));
    }
  }
  put(p, PAR_ORDER, code);
}

/**
 * Draws PARAM_SLOTS floats per sample for samples offset … offset + n − 1 of a step and view:
 * params[s] depends only on (k0, k1, step, offset + s, view) and the policy.
 */
export function augment_draw(
  policy: usize, params: usize, n: i32, inH: i32, inW: i32,
  k0: u32, k1: u32, step: u32, offset: u32, view: u32,
): void {
  for (let s = 0; s < n; s++) {
    const id = offset + <u32>s;
    const p = params + (<usize>(s * PARAM_SLOTS) << 2);
    drawCrop(policy, p, inH, inW, id, step, view, k0, k1);
    philox(BLOCK_FLAGS, id, step, view, k0, k1);
    const flags0 = philox0, flags1 = philox1, flags2 = philox2, flags3 = philox3;
    put(p, PAR_FLIP, unit(flags0) < pol(policy, POL_FLIP_P) ? 1 : 0);
    drawJitter(policy, p, unit(flags1) < pol(policy, POL_JITTER_P), id, step, view, k0, k1);
    put(p, PAR_GRAY, unit(flags2) < pol(policy, POL_GRAY_P) ? 1 : 0);
    philox(BLOCK_BLUR_SOLARIZE, id, step, view, k0, k1);
    put(p, PAR_SOLARIZE, unit(philox1) < pol(policy, POL_SOLARIZE_P) ? 1 : 0);
    const blur = unit(flags3) < pol(policy, POL_BLUR_P);
    put(p, PAR_SIGMA, blur ? between(pol(policy, POL_SIGMA_LO), pol(policy, POL_SIGMA_HI), philox0) : 0);
    put(p, PAR_KERNEL, blur ? pol(policy, POL_BLUR_KERNEL) : 0);
  }
}
