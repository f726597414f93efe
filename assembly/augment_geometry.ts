// Geometry: one NHWC image into planar floats, and torchvision's resized crop (bilinear,
// align_corners=False, antialias off) with the horizontal flip folded into the column table.

/** n bytes to floats v / 255 (through `lut`, the 256 values, for the scalar tail). */
function u8Row(src: usize, dst: usize, n: i32, lut: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const k = f32x4.splat(255);
    for (; i + 8 <= n; i += 8) {
      const w = v128.load8x8_u(src + <usize>i);
      const d = dst + (<usize>i << 2);
      v128.store(d, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(w)), k));
      v128.store(d, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(w)), k), 16);
    }
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(lut + (<usize>load<u8>(src + <usize>i) << 2)));
}

/**
 * Copies box (top, left, bh, bw) of one NHWC image inW pixels wide (u8 through `lut`, the 256
 * values v / 255, or f32) into c planes of bh×bw floats at dst: only what the crop reads.
 */
export function loadPlanar(
  src: usize, isU8: bool, inW: i32, c: i32, top: i32, left: i32, bh: i32, bw: i32, dst: usize, lut: usize,
): void {
  const plane = <usize>(bh * bw) << 2;
  for (let y = 0; y < bh; y++) {
    const first = <usize>(((top + y) * inW + left) * c); // element index of the row's first value
    const d = dst + (<usize>(y * bw) << 2);
    if (c == 1) {
      if (isU8) u8Row(src + first, d, bw, lut);
      else memory.copy(d, src + (first << 2), <usize>bw << 2);
    } else if (isU8) {
      for (let x = 0; x < bw; x++) {
        const s = src + first + <usize>(x * 3);
        const o = d + (<usize>x << 2);
        store<f32>(o, load<f32>(lut + (<usize>load<u8>(s) << 2)));
        store<f32>(o + plane, load<f32>(lut + (<usize>load<u8>(s, 1) << 2)));
        store<f32>(o + 2 * plane, load<f32>(lut + (<usize>load<u8>(s, 2) << 2)));
      }
    } else {
      for (let x = 0; x < bw; x++) {
        const s = src + ((first + <usize>(x * 3)) << 2);
        const o = d + (<usize>x << 2);
        store<f32>(o, load<f32>(s));
        store<f32>(o + plane, load<f32>(s, 4));
        store<f32>(o + 2 * plane, load<f32>(s, 8));
      }
    }
  }
}

/**
 * One axis of align_corners=False bilinear sampling from inSize to outSize, as PyTorch computes it
 * in float: per output index (mirrored when `mirror`) two source indices and their weights,
 * 16 bytes per entry.
 */
function axisTable(table: usize, inSize: i32, outSize: i32, mirror: bool): void {
  const scale = <f32>inSize / <f32>outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Mathf.max(scale * (<f32>o + 0.5) - 0.5, 0);
    const i0 = min(<i32>src, inSize - 1);
    const l1 = Mathf.min(Mathf.max(src - <f32>i0, 0), 1);
    const e = table + (<usize>(mirror ? outSize - 1 - o : o) << 4);
    store<i32>(e, i0);
    store<i32>(e, i0 + (i0 < inSize - 1 ? 1 : 0), 4);
    store<f32>(e, 1 - l1, 8);
    store<f32>(e, l1, 12);
  }
}

/** dst[x] = w0·a[x] + w1·b[x] for n floats. */
function lerpRows(dst: usize, a: usize, b: usize, w0: f32, w1: f32, n: i32): void {
  let x = 0;
  if (ASC_FEATURE_SIMD) {
    const v0 = f32x4.splat(w0);
    const v1 = f32x4.splat(w1);
    for (; x + 4 <= n; x += 4) {
      const o = <usize>x << 2;
      v128.store(dst + o, f32x4.add(f32x4.mul(v128.load(a + o), v0), f32x4.mul(v128.load(b + o), v1)));
    }
  }
  for (; x < n; x++) {
    const o = <usize>x << 2;
    store<f32>(dst + o, load<f32>(a + o) * w0 + load<f32>(b + o) * w1);
  }
}

/**
 * Resamples box (top, left, bh, bw) of each of c planes (inH×inW at src) to outH×outW planes at
 * dst, mirrored horizontally when `flip`. Horizontal pass over the box rows into `rows`
 * (bh·outW floats), then a vectorised vertical blend. xt / yt hold outW / outH 16-byte entries.
 */
export function resizedCrop(
  src: usize, inH: i32, inW: i32, c: i32, top: i32, left: i32, bh: i32, bw: i32,
  outH: i32, outW: i32, flip: bool, dst: usize, rows: usize, xt: usize, yt: usize,
): void {
  axisTable(xt, bw, outW, flip);
  axisTable(yt, bh, outH, false);
  const rowBytes = <usize>outW << 2;
  for (let ch = 0; ch < c; ch++) {
    const plane = src + (<usize>(ch * inH * inW) << 2);
    for (let ry = 0; ry < bh; ry++) {
      const s = plane + (<usize>((top + ry) * inW + left) << 2);
      const r = rows + <usize>ry * rowBytes;
      for (let x = 0; x < outW; x++) {
        const e = xt + (<usize>x << 4);
        const a = load<f32>(s + (<usize>load<i32>(e) << 2));
        const b = load<f32>(s + (<usize>load<i32>(e, 4) << 2));
        store<f32>(r + (<usize>x << 2), a * load<f32>(e, 8) + b * load<f32>(e, 12));
      }
    }
    const out = dst + <usize>(ch * outH) * rowBytes;
    for (let y = 0; y < outH; y++) {
      const e = yt + (<usize>y << 4);
      const a = rows + <usize>load<i32>(e) * rowBytes;
      const b = rows + <usize>load<i32>(e, 4) * rowBytes;
      lerpRows(out + <usize>y * rowBytes, a, b, load<f32>(e, 8), load<f32>(e, 12), outW);
    }
  }
}
