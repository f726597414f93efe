// Colour ops on planar float images, torchvision 0.14 functional_tensor semantics: _blend clamps to
// [0, 1]; grey is 0.2989·R + 0.587·G + 0.114·B (torchvision's weights); hue goes RGB → HSV → RGB.

// @ts-ignore: decorator
@inline const WR: f32 = 0.2989;
// @ts-ignore: decorator
@inline const WG: f32 = 0.587;
// @ts-ignore: decorator
@inline const WB: f32 = 0.114;

// @ts-ignore: decorator
@inline function grey4(r: v128, g: v128, b: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.mul(r, f32x4.splat(WR)), f32x4.mul(g, f32x4.splat(WG))), f32x4.mul(b, f32x4.splat(WB)));
}

// @ts-ignore: decorator
@inline function grey1(r: f32, g: f32, b: f32): f32 {
  return r * WR + g * WG + b * WB;
}

// @ts-ignore: decorator
@inline function clamp01x4(v: v128): v128 {
  return f32x4.min(f32x4.max(v, f32x4.splat(0)), f32x4.splat(1));
}

// @ts-ignore: decorator
@inline function clamp01(v: f32): f32 {
  return Mathf.min(Mathf.max(v, 0), 1);
}

/** x ← clamp(f·x + (1 − f)·m, 0, 1) over n floats: brightness (m = 0) and contrast (m = grey mean). */
export function blendConstant(p: usize, n: i32, f: f32, m: f32): void {
  const fm = <f32>(1.0 - <f64>f) * m;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vf = f32x4.splat(f);
    const vm = f32x4.splat(fm);
    for (; i + 4 <= n; i += 4) {
      const o = p + (<usize>i << 2);
      v128.store(o, clamp01x4(f32x4.add(f32x4.mul(v128.load(o), vf), vm)));
    }
  }
  for (; i < n; i++) {
    const o = p + (<usize>i << 2);
    store<f32>(o, clamp01(load<f32>(o) * f + fm));
  }
}

/** Mean over the image of its grey value (c = 3) or of its only plane (c = 1). */
export function greyMean(planes: usize, hw: i32, c: i32): f32 {
  const G = planes + (<usize>hw << 2);
  const B = G + (<usize>hw << 2);
  let sum: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (; i + 4 <= hw; i += 4) {
      const o = <usize>i << 2;
      const r = v128.load(planes + o);
      acc = f32x4.add(acc, c == 3 ? grey4(r, v128.load(G + o), v128.load(B + o)) : r);
    }
    sum = <f64>f32x4.extract_lane(acc, 0) + <f64>f32x4.extract_lane(acc, 1) +
      <f64>f32x4.extract_lane(acc, 2) + <f64>f32x4.extract_lane(acc, 3);
  }
  for (; i < hw; i++) {
    const o = <usize>i << 2;
    const r = load<f32>(planes + o);
    sum += <f64>(c == 3 ? grey1(r, load<f32>(G + o), load<f32>(B + o)) : r);
  }
  return <f32>(sum / <f64>hw);
}

/** Saturation (f) or, with grey = true, grayscale: each channel blended with the pixel's grey. */
export function blendGrey(planes: usize, hw: i32, f: f32, grey: bool): void {
  const G = planes + (<usize>hw << 2);
  const B = G + (<usize>hw << 2);
  const f1 = <f32>(1.0 - <f64>f);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vf = f32x4.splat(f);
    const v1 = f32x4.splat(f1);
    for (; i + 4 <= hw; i += 4) {
      const o = <usize>i << 2;
      const r = v128.load(planes + o);
      const g = v128.load(G + o);
      const b = v128.load(B + o);
      const l = grey4(r, g, b);
      if (grey) {
        v128.store(planes + o, l); v128.store(G + o, l); v128.store(B + o, l);
      } else {
        const m = f32x4.mul(l, v1);
        v128.store(planes + o, clamp01x4(f32x4.add(f32x4.mul(r, vf), m)));
        v128.store(G + o, clamp01x4(f32x4.add(f32x4.mul(g, vf), m)));
        v128.store(B + o, clamp01x4(f32x4.add(f32x4.mul(b, vf), m)));
      }
    }
  }
  for (; i < hw; i++) {
    const o = <usize>i << 2;
    const r = load<f32>(planes + o);
    const g = load<f32>(G + o);
    const b = load<f32>(B + o);
    const l = grey1(r, g, b);
    if (grey) {
      store<f32>(planes + o, l); store<f32>(G + o, l); store<f32>(B + o, l);
    } else {
      const m = l * f1;
      store<f32>(planes + o, clamp01(r * f + m));
      store<f32>(G + o, clamp01(g * f + m));
      store<f32>(B + o, clamp01(b * f + m));
    }
  }
}

/**
 * Hue shift as torchvision's tensor adjust_hue: _rgb2hsv, h ← (h + shift) mod 1, _hsv2rgb
 * (p, q, t clamped to [0, 1]). Every step in float32 in torchvision's order.
 */
export function hueShift(planes: usize, hw: i32, shift: f32): void {
  const G = planes + (<usize>hw << 2);
  const B = G + (<usize>hw << 2);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const one = f32x4.splat(1);
    const sh = f32x4.splat(shift);
    for (; i + 4 <= hw; i += 4) {
      const o = <usize>i << 2;
      const r = v128.load(planes + o);
      const g = v128.load(G + o);
      const b = v128.load(B + o);
      const v = f32x4.max(f32x4.max(r, g), b);
      const eqc = f32x4.eq(v, f32x4.min(f32x4.min(r, g), b));
      const cr = f32x4.sub(v, f32x4.min(f32x4.min(r, g), b));
      const s = f32x4.div(cr, v128.bitselect(one, v, eqc));
      const crd = v128.bitselect(one, cr, eqc);
      const rc = f32x4.div(f32x4.sub(v, r), crd);
      const gc = f32x4.div(f32x4.sub(v, g), crd);
      const bc = f32x4.div(f32x4.sub(v, b), crd);
      const isR = f32x4.eq(v, r);
      const isG = v128.andnot(f32x4.eq(v, g), isR);
      const isB = v128.not(v128.or(f32x4.eq(v, g), isR));
      let h = f32x4.add(
        f32x4.add(v128.and(isR, f32x4.sub(bc, gc)), v128.and(isG, f32x4.sub(f32x4.add(f32x4.splat(2), rc), bc))),
        v128.and(isB, f32x4.sub(f32x4.add(f32x4.splat(4), gc), rc)),
      );
      h = f32x4.add(f32x4.div(h, f32x4.splat(6)), one);
      h = f32x4.sub(h, f32x4.trunc(h));
      h = f32x4.add(h, sh);
      h = f32x4.sub(h, f32x4.floor(h));
      // back to RGB
      const h6 = f32x4.mul(h, f32x4.splat(6));
      const k = f32x4.floor(h6);
      const f = f32x4.sub(h6, k);
      const p = clamp01x4(f32x4.mul(v, f32x4.sub(one, s)));
      const q = clamp01x4(f32x4.mul(v, f32x4.sub(one, f32x4.mul(s, f))));
      const t = clamp01x4(f32x4.mul(v, f32x4.sub(one, f32x4.mul(s, f32x4.sub(one, f)))));
      // sector k (k = 6 only when rounding made h exactly 1: sector 0)
      const m0 = v128.or(f32x4.eq(k, f32x4.splat(0)), f32x4.eq(k, f32x4.splat(6)));
      const m1 = f32x4.eq(k, one);
      const m2 = f32x4.eq(k, f32x4.splat(2));
      const m3 = f32x4.eq(k, f32x4.splat(3));
      const m4 = f32x4.eq(k, f32x4.splat(4));
      const m5 = f32x4.eq(k, f32x4.splat(5));
      v128.store(planes + o, v128.bitselect(v, v128.bitselect(q, v128.bitselect(t, p, m4), m1), v128.or(m0, m5)));
      v128.store(G + o, v128.bitselect(v, v128.bitselect(t, v128.bitselect(q, p, m3), m0), v128.or(m1, m2)));
      v128.store(B + o, v128.bitselect(v, v128.bitselect(t, v128.bitselect(q, p, m5), m2), v128.or(m3, m4)));
    }
  }
  for (; i < hw; i++) {
    const o = <usize>i << 2;
    const r = load<f32>(planes + o);
    const g = load<f32>(G + o);
    const b = load<f32>(B + o);
    const v = Mathf.max(Mathf.max(r, g), b);
    const minc = Mathf.min(Mathf.min(r, g), b);
    const eqc = v == minc;
    const cr = v - minc;
    const s = cr / (eqc ? 1 : v);
    const crd: f32 = eqc ? 1 : cr;
    const rc = (v - r) / crd;
    const gc = (v - g) / crd;
    const bc = (v - b) / crd;
    let h: f32 = v == r ? bc - gc : v == g ? 2 + rc - bc : 4 + gc - rc;
    h = h / 6 + 1;
    h -= Mathf.trunc(h);
    h += shift;
    h -= Mathf.floor(h);
    const h6 = h * 6;
    const k = Mathf.floor(h6);
    const f = h6 - k;
    const p = clamp01(v * (1 - s));
    const q = clamp01(v * (1 - s * f));
    const t = clamp01(v * (1 - s * (1 - f)));
    const sector = <i32>k % 6;
    store<f32>(planes + o, sector == 0 || sector == 5 ? v : sector == 1 ? q : sector == 4 ? t : p);
    store<f32>(G + o, sector == 1 || sector == 2 ? v : sector == 0 ? t : sector == 3 ? q : p);
    store<f32>(B + o, sector == 3 || sector == 4 ? v : sector == 2 ? t : sector == 5 ? q : p);
  }
}
