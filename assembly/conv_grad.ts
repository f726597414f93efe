// Backward 2-D convolutions, NHWC, filter [kh, kw, in, out] (tfjs layout), dilation 1, as
// implicit GEMMs over one filter tap at a time (see conv_common.ts):
//   filter gradient  dW[tap][ci][co] += Σ_pairs x[in][ci] · dy[out][co]   (4 ci × 8 co register tile)
//   input gradient   dx[in][ci]      += Σ_co dy[out][co] · W[tap][ci][co] (6 pixels × 8 ci row tile)
// Scratch comes from the caller.
import {
  buildPairs, chunkRows, gCin, gCout, gKH, gKW, madd, movePatches, padPairs, patchMode, patchPairs, patchWidth, rowTile, setGeometry, TILE_ROWS,
} from "./conv_common";

// ---------------------------------------------------------------- filter gradient

/** Bytes of scratch {@link conv2d_backprop_filter} needs for this geometry. */
export function conv2d_backprop_filter_scratch(n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): i32 {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  if (!patchMode()) return chunkRows(cin) << 3;
  const k = patchWidth();
  const rows = chunkRows(k);
  return (rows << 3) + ((rows * k) << 2);
}

/**
 * dW[kh, kw, cin, cout] = Σ over output pixels of x_patch ⊗ dy (overwrites `dw`).
 * x: [n, h, w, cin], dy: [n, oh, ow, cout]; pt/pl: padding before the first row/column.
 */
export function conv2d_backprop_filter(x: usize, dy: usize, dw: usize, scratch: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  memory.fill(dw, 0, <usize>(kh * kw * cin) * <usize>cout << 2);
  const total = n * oh * ow;
  if (patchMode()) {
    const chunk = chunkRows(patchWidth());
    const patches = scratch + (<usize>chunk << 3);
    for (let m0 = 0; m0 < total; m0 += chunk) {
      const m1 = min(total, m0 + chunk);
      movePatches(x, patches, m0, m1, true);
      filterProduct(scratch, patchPairs(scratch, patches, m0, m1, dy), patchWidth(), dw);
    }
    return;
  }
  const chunk = chunkRows(cin);
  const tapBytes = <usize>(cin * cout) << 2;
  for (let m0 = 0; m0 < total; m0 += chunk) {
    const m1 = min(total, m0 + chunk);
    for (let t = 0; t < kh * kw; t++) {
      const cnt = buildPairs(scratch, m0, m1, t / kw, t % kw, x, <usize>cin << 2, dy, <usize>cout << 2);
      if (cnt > 0) filterProduct(scratch, cnt, cin, dw + <usize>t * tapBytes);
    }
  }
}

/** dst[rows × cout] += Σ over `cnt` pairs of in[0..rows) ⊗ out[0..cout): SIMD tiles, then scalar edges. */
function filterProduct(table: usize, cnt: i32, rows: i32, dst: usize): void {
  let r4 = 0;
  let c8 = 0;
  if (ASC_FEATURE_SIMD) {
    r4 = rows & ~3;
    c8 = gCout & ~7;
    for (let ci = 0; ci < r4; ci += 4) {
      for (let co = 0; co < c8; co += 8) filterTile(table, cnt, ci, co, dst);
    }
  }
  filterRank1(table, cnt, 0, r4, c8, gCout, dst);
  filterRank1(table, cnt, r4, rows, 0, gCout, dst);
}

/** 4 input channels × 8 output channels of one tap's dW, accumulated over `cnt` pairs. */
// @ts-ignore: decorator
@inline
function filterTile(table: usize, cnt: i32, ci: i32, co: i32, dst: usize): void {
  const ld = <usize>gCout << 2;
  const d = dst + (<usize>ci * ld) + (<usize>co << 2);
  let c00 = v128.load(d), c01 = v128.load(d, 16);
  let c10 = v128.load(d + ld), c11 = v128.load(d + ld, 16);
  let c20 = v128.load(d + 2 * ld), c21 = v128.load(d + 2 * ld, 16);
  let c30 = v128.load(d + 3 * ld), c31 = v128.load(d + 3 * ld, 16);
  const xo = <usize>ci << 2;
  const yo = <usize>co << 2;
  const end = table + (<usize>cnt << 3);
  for (let p = table; p < end; p += 8) {
    const xp = <usize>load<u32>(p) + xo;
    const yp = <usize>load<u32>(p, 4) + yo;
    const b0 = v128.load(yp), b1 = v128.load(yp, 16);
    let a = v128.load32_splat(xp);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(xp, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(xp, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(xp, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
  }
  v128.store(d, c00); v128.store(d, c01, 16);
  v128.store(d + ld, c10); v128.store(d + ld, c11, 16);
  v128.store(d + 2 * ld, c20); v128.store(d + 2 * ld, c21, 16);
  v128.store(d + 3 * ld, c30); v128.store(d + 3 * ld, c31, 16);
}

/** Scalar rank-1 updates of dW rows [ci0, ci1) × columns [co0, co1) over `cnt` pairs. */
function filterRank1(table: usize, cnt: i32, ci0: i32, ci1: i32, co0: i32, co1: i32, dst: usize): void {
  if (ci0 >= ci1 || co0 >= co1) return;
  const ld = <usize>gCout << 2;
  for (let e = 0; e < cnt; e++) {
    const p = table + (<usize>e << 3);
    const xp = <usize>load<u32>(p);
    const yp = <usize>load<u32>(p, 4);
    for (let ci = ci0; ci < ci1; ci++) {
      const a = load<f32>(xp + (<usize>ci << 2));
      const row = dst + <usize>ci * ld;
      for (let co = co0; co < co1; co++) {
        const o = <usize>co << 2;
        store<f32>(row + o, load<f32>(row + o) + a * load<f32>(yp + o));
      }
    }
  }
}

// ---------------------------------------------------------------- input gradient

/** Rows of one tap's product: input channels, or whole patches in patch mode. */
function inputRows(): i32 {
  return patchMode() ? patchWidth() : gCin;
}

/** Taps with a product of their own (one in patch mode). */
function inputTaps(): i32 {
  return patchMode() ? 1 : gKH * gKW;
}

/** Rows rounded up to the 8-wide SIMD panels (unchanged in the scalar build). */
function panelWidth(): i32 {
  return ASC_FEATURE_SIMD ? (inputRows() + 7) & ~7 : inputRows();
}

// scratch layout of the input gradient, set by inputLayout()
let sPanels: usize = 0;
let sPacked: usize = 0;
let sZero: usize = 0;
let sTrash: usize = 0;
let sPatches: usize = 0;
let sEnd: usize = 0;

/** Lays out scratch: pair table (+6 padding pairs), packed filter, per-tap packed flags, zero dy row, trash row, patches. */
function inputLayout(scratch: usize): void {
  const chunk = chunkRows(inputRows());
  const pw = panelWidth();
  sPanels = scratch + (<usize>(chunk + 6) << 3);
  sPacked = sPanels + (<usize>(inputTaps() * pw * gCout) << 2);
  sZero = sPacked + ((<usize>inputTaps() + 3) & ~3);
  sTrash = sZero + (<usize>gCout << 2);
  sPatches = sTrash + (<usize>pw << 2);
  sEnd = sPatches + (patchMode() ? <usize>(chunk * inputRows()) << 2 : 0);
}

/** Bytes of scratch {@link conv2d_backprop_input} needs for this geometry. */
export function conv2d_backprop_input_scratch(n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): i32 {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  inputLayout(0);
  return <i32>sEnd;
}

/**
 * dx[n, h, w, cin] = Σ over taps of dy · W[tap]ᵀ, scattered to the input pixels (overwrites `dx`).
 * filter: [kh, kw, cin, cout], dy: [n, oh, ow, cout].
 */
export function conv2d_backprop_input(dy: usize, filter: usize, dx: usize, scratch: usize,
  n: i32, h: i32, w: i32, cin: i32, oh: i32, ow: i32, cout: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32): void {
  setGeometry(n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, pt, pl);
  inputLayout(scratch);
  memory.fill(dx, 0, <usize>n * <usize>h * <usize>w * <usize>cin << 2);
  memory.fill(sPacked, 0, <usize>inputTaps());
  memory.fill(sZero, 0, <usize>cout << 2);
  const rows = inputRows();
  const patch = patchMode();
  const chunk = chunkRows(rows);
  const total = n * oh * ow;
  for (let m0 = 0; m0 < total; m0 += chunk) {
    const m1 = min(total, m0 + chunk);
    if (patch) {
      memory.fill(sPatches, 0, <usize>((m1 - m0) * rows) << 2);
      inputProduct(scratch, patchPairs(scratch, sPatches, m0, m1, dy), 0, filter);
      movePatches(dx, sPatches, m0, m1, false);
      continue;
    }
    for (let t = 0; t < kh * kw; t++) {
      const cnt = buildPairs(scratch, m0, m1, t / kw, t % kw, dx, <usize>cin << 2, dy, <usize>cout << 2);
      if (cnt > 0) inputProduct(scratch, cnt, t, filter + (<usize>(t * cin * cout) << 2));
    }
  }
}

/** in[pair][0..rows) += out[pair] · W[tap]ᵀ over `cnt` pairs: SIMD tiles on packed panels, then scalar dots. */
function inputProduct(table: usize, cnt: i32, t: i32, tapFilter: usize): void {
  const rows = inputRows();
  let r8 = 0;
  if (ASC_FEATURE_SIMD) {
    r8 = rows & ~7;
    const panelTap = sPanels + (<usize>(t * panelWidth() * gCout) << 2);
    if (load<u8>(sPacked + t) == 0) {
      packPanels(tapFilter, panelTap, r8);
      store<u8>(sPacked + t, 1);
    }
    padPairs(table, cnt, 0, 4, sZero, sTrash);
    for (let ci = 0; ci < r8; ci += 8) {
      const panel = panelTap + (<usize>(ci * gCout) << 2);
      for (let e = 0; e < cnt; e += TILE_ROWS) rowTile(table + (<usize>e << 3), panel, ci, 0, 4, <usize>gCout << 2, 32);
    }
  }
  inputDots(table, cnt, r8, rows, tapFilter);
}

/** Repacks rows [0, r8) of one tap's W[row][co] into panels [row/8][co][8] so a tile reads 8 rows at once. */
function packPanels(tapFilter: usize, panels: usize, r8: i32): void {
  for (let r = 0; r < r8; r++) {
    const src = tapFilter + (<usize>(r * gCout) << 2);
    const dst = panels + (<usize>((r & ~7) * gCout + (r & 7)) << 2);
    for (let co = 0; co < gCout; co++) {
      store<f32>(dst + (<usize>co << 5), load<f32>(src + (<usize>co << 2)));
    }
  }
}

/** Scalar dot products for rows [ci0, ci1) of `cnt` pairs under one tap's filter rows. */
function inputDots(table: usize, cnt: i32, ci0: i32, ci1: i32, tapFilter: usize): void {
  if (ci0 >= ci1) return;
  const steps = <usize>gCout << 2;
  for (let e = 0; e < cnt; e++) {
    const p = table + (<usize>e << 3);
    const dp = <usize>load<u32>(p);
    const yp = <usize>load<u32>(p, 4);
    for (let ci = ci0; ci < ci1; ci++) {
      const wr = tapFilter + <usize>ci * steps;
      let s: f32 = 0;
      for (let k: usize = 0; k < steps; k += 4) s += load<f32>(yp + k) * load<f32>(wr + k);
      const o = dp + (<usize>ci << 2);
      store<f32>(o, load<f32>(o) + s);
    }
  }
}
