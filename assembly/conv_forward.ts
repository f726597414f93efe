// Forward 2-D convolution, NHWC, filter [kh, kw, in, out], dilation 1, as an implicit GEMM over one
// filter tap at a time (see conv_common.ts): y[out][co] += Σ_ci x[in][ci] · W[tap][ci][co].
// Taps that only read padding cost nothing here, which XNNPACK's dense im2col does not skip: at
// 28×28 with the torchvision stem, ResNet's last stages run 3×3 convolutions on 2×2 and 1×1 maps.

// Thin inputs (a stem's 3 channels) make per-tap products short: the binding leaves those to XNNPACK.
import { buildPairs, chunkRows, gCin, gCout, padPairs, rowTile, setGeometry, TILE_ROWS } from "./conv_common";

/**
 * Bytes of scratch {@link conv2d_forward} needs: pair table (+6 padding pairs), zero row, trash
 * row, per-tap packed flags, filter panels [tap][co/8][ci][8] (contiguous 32-byte rows: wide
 * filters would otherwise stride a cache line per step).
 */
export function conv2d_forward_scratch(n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): i32 {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  return ((chunkRows(cin) + 6) << 3) + ((cin + cout) << 2) + ((kh * kw + 3) & ~3) + ((kh * kw * (cout & ~7) * cin) << 2);
}

/**
 * y[n, oh, ow, cout] = Σ over taps and input channels of x · W (overwrites `y`).
 * x: [n, h, w, cin], filter: [kh, kw, cin, cout]; pt/pl: padding before the first row/column.
 */
export function conv2d_forward(x: usize, filter: usize, y: usize, scratch: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  const total = n * oh * ow;
  memory.fill(y, 0, <usize>total * <usize>cout << 2);
  const chunk = chunkRows(cin);
  const zero = scratch + (<usize>(chunk + 6) << 3);
  const trash = zero + (<usize>cin << 2);
  const packed = trash + (<usize>cout << 2);
  const panels = packed + ((<usize>(kh * kw) + 3) & ~3);
  memory.fill(zero, 0, <usize>cin << 2);
  memory.fill(packed, 0, <usize>(kh * kw));
  for (let m0 = 0; m0 < total; m0 += chunk) {
    const m1 = min(total, m0 + chunk);
    for (let t = 0; t < kh * kw; t++) {
      const cnt = buildPairs(scratch, m0, m1, t / kw, t % kw, x, <usize>cin << 2, y, <usize>cout << 2);
      if (cnt == 0) continue;
      const tapFilter = filter + (<usize>(t * cin * cout) << 2);
      const tapPanels = panels + (<usize>(t * (cout & ~7) * cin) << 2);
      if (ASC_FEATURE_SIMD && load<u8>(packed + t) == 0) {
        packColumns(tapFilter, tapPanels);
        store<u8>(packed + t, 1);
      }
      forwardProduct(scratch, cnt, tapFilter, tapPanels, zero, trash);
    }
  }
}

/** Copies one tap's W[ci][co] (co < cout & ~7) into panels [co/8][ci][8]. */
function packColumns(tapFilter: usize, panels: usize): void {
  const ld = <usize>gCout << 2;
  let dst = panels;
  for (let co = 0; co < (gCout & ~7); co += 8) {
    let src = tapFilter + (<usize>co << 2);
    for (let ci = 0; ci < gCin; ci++) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      dst += 32;
      src += ld;
    }
  }
}

/** y rows += x rows · W[tap] over `cnt` (x, y) pairs: row tiles on packed panels, then scalar columns. */
function forwardProduct(table: usize, cnt: i32, tapFilter: usize, tapPanels: usize, zero: usize, trash: usize): void {
  const k = gCin;
  const ld = <usize>gCout << 2;
  let c8 = 0;
  if (ASC_FEATURE_SIMD) {
    c8 = gCout & ~7;
    padPairs(table, cnt, 4, 0, zero, trash);
    for (let co = 0; co < c8; co += 8) {
      const panel = tapPanels + (<usize>(co * k) << 2);
      for (let e = 0; e < cnt; e += TILE_ROWS) rowTile(table + (<usize>e << 3), panel, co, 4, 0, <usize>k << 2, 32);
    }
  }
  if (c8 == gCout) return;
  for (let e = 0; e < cnt; e++) {
    const p = table + (<usize>e << 3);
    const xp = <usize>load<u32>(p);
    const yp = <usize>load<u32>(p, 4);
    for (let ci = 0; ci < k; ci++) {
      const a = load<f32>(xp + (<usize>ci << 2));
      const row = tapFilter + <usize>ci * ld;
      for (let co = c8; co < gCout; co++) {
        const o = <usize>co << 2;
        store<f32>(yp + o, load<f32>(yp + o) + a * load<f32>(row + o));
      }
    }
  }
}
